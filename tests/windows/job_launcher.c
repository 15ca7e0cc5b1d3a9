/* Test support for tests/e2e_windows.rs, run under Wine: stands in for an editor on Windows that
 * starts the adapter inside a job object which kills its processes when the job is closed, and
 * that ends the adapter with TerminateProcess. Built by scripts/windows/setup.sh.
 *
 *   job_launcher.exe KILL_FILE ADAPTER.exe
 *
 * Starts ADAPTER.exe with this process's stdin/stdout/stderr, in the job. When KILL_FILE appears,
 * calls TerminateProcess on it, closes the job (which ends every process still in it) and exits
 * 0 once the adapter is gone; any failure exits 2 with the reason on stderr. Exits with the
 * adapter's own exit code if it ends first. */
#include <stdio.h>
#include <windows.h>

static int fail(const char *what)
{
    fprintf(stderr, "job_launcher: %s failed (error %lu)\n", what, GetLastError());
    return 2;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: job_launcher KILL_FILE ADAPTER.exe\n");
        return 2;
    }
    HANDLE job = CreateJobObjectA(NULL, NULL);
    if (!job)
        return fail("CreateJobObject");
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {0};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_BREAKAWAY_OK;
    if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits))
        return fail("SetInformationJobObject");

    STARTUPINFOA startup = {0};
    startup.cb = sizeof startup;
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    startup.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    startup.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    PROCESS_INFORMATION adapter;
    char command[4096];
    snprintf(command, sizeof command, "\"%s\"", argv[2]);
    if (!CreateProcessA(NULL, command, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &startup, &adapter))
        return fail("CreateProcess");
    if (!AssignProcessToJobObject(job, adapter.hProcess))
        return fail("AssignProcessToJobObject");
    ResumeThread(adapter.hThread);

    for (;;) {
        if (WaitForSingleObject(adapter.hProcess, 20) == WAIT_OBJECT_0) {
            DWORD code = 2;
            GetExitCodeProcess(adapter.hProcess, &code);
            return (int)code;
        }
        if (GetFileAttributesA(argv[1]) != INVALID_FILE_ATTRIBUTES)
            break;
    }
    if (!TerminateProcess(adapter.hProcess, 1))
        return fail("TerminateProcess");
    if (WaitForSingleObject(adapter.hProcess, 10000) != WAIT_OBJECT_0)
        return fail("waiting for the terminated adapter");
    CloseHandle(job);
    return 0;
}
