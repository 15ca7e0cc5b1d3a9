/* Test support only, never shipped: Wine 8 has no ProcessPrng, which Rust's standard library
 * imports from bcryptprimitives.dll (Windows 10 and later have it). This stand-in fills the
 * buffer from RtlGenRandom (SystemFunction036), which Wine has. Built by scripts/wine/setup.sh. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
