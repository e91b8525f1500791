# bash completion for chaff(1); installed by `make install` as
# $(datadir)/bash-completion/completions/chaff, where bash-completion loads
# it on first use.  Keep the option lists in sync with `chaff --help` (the
# cli-completions fixture checks that every option there is here).

_chaff()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -s || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi

    local sub=""
    [[ $cword -gt 1 && ( ${words[1]} == learn || ${words[1]} == report ) ]] && sub=${words[1]}

    case $prev in
    -f | --format)
        COMPREPLY=($(compgen -W 'text lines nul jsonl tsv-jsonl warc' -- "$cur"))
        return ;;
    --color | --colour)
        COMPREPLY=($(compgen -W 'auto always never' -- "$cur"))
        return ;;
    -j | --jobs)
        COMPREPLY=($(compgen -W "0 1 2 4 8 $(getconf _NPROCESSORS_ONLN 2>/dev/null)" -- "$cur"))
        return ;;
    -R | --rules)
        COMPREPLY=($(compgen -f -- "$cur"))
        compopt -o filenames 2>/dev/null
        return ;;
    -o | --output | --rules-db | --model | --explain-to)
        COMPREPLY=($(compgen -f -- "$cur"))
        compopt -o filenames 2>/dev/null
        return ;;
    --field | --url-field | --url | --from | --lang | --lang-field | --annotate | --max-doc | --max-inflate | \
        --min-pages | --min-share)
        return ;;
    esac

    if [[ $cur == --stats=* || $cur == --color=* || $cur == --colour=* ]]; then
        local opt=${cur%%=*} val=${cur#*=}
        if [[ $opt == --stats ]]; then
            COMPREPLY=($(compgen -f -- "$val"))
        else
            COMPREPLY=($(compgen -W 'auto always never' -- "$val"))
        fi
        COMPREPLY=("${COMPREPLY[@]/#/$opt=}")
        return
    fi

    if [[ $cur == -* ]]; then
        local opts
        case $sub in
        learn)
            opts='--format --min-share --min-pages --counts --merge --output --quiet
                  --progress --help' ;;
        report)
            opts='--output --rules --no-default-rules --rules-db --title --help' ;;
        *)
            opts='--format --field --url-field --url --from --lang --lang-field --rules
                  --no-default-rules --rules-db --output --jobs --max-doc --max-inflate
                  --explain --explain-to --color --stats --annotate --drop-empty --keep-comments --rules-only --no-rules --model
                  --no-model --dump-features --strict --check-rules --test-rules --list-rules
                  --compile-rules --quiet --progress --help --version' ;;
        esac
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi

    if [[ $cword -eq 1 ]]; then
        COMPREPLY=($(compgen -W 'learn report' -- "$cur") $(compgen -f -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
    compopt -o filenames 2>/dev/null
}
complete -F _chaff chaff
