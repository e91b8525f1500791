/*
 * timeit.c — run a command, report its wall time and peak memory.
 *
 * Usage: timeit RESULT_FILE COMMAND [ARG]...
 *
 * Standard input and output pass through to the command.  When it ends,
 * RESULT_FILE gets one line "SECONDS MAXRSS_KB": wall-clock time from
 * CLOCK_MONOTONIC around fork/wait, and the child's peak resident set from
 * wait4()'s rusage (kilobytes on Linux), the same figure /usr/bin/time's %M
 * prints.  Exits with the command's status (128+signal if it was killed),
 * 127 if it could not be started.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: timeit RESULT_FILE COMMAND [ARG]...\n", stderr);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("timeit: fork");
        return 127;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "timeit: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("timeit: wait4");
            return 127;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    FILE *r = fopen(argv[1], "w");
    if (!r || fprintf(r, "%.6f %ld\n", secs, ru.ru_maxrss) < 0 || fclose(r) != 0) {
        perror(argv[1]);
        return 127;
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
