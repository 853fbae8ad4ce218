// Errno: the strong error type of the sentry, gofer and platform.
#pragma once

#include <cerrno>

namespace bulwark {

// Linux errno values, including the kernel-internal restart codes that never
// reach the application (include/linux/errno.h).
enum class Errno : int {
  kEPERM = EPERM, kENOENT = ENOENT, kESRCH = ESRCH, kEINTR = EINTR,
  kEIO = EIO, kENXIO = ENXIO, kE2BIG = E2BIG, kENOEXEC = ENOEXEC,
  kEBADF = EBADF, kECHILD = ECHILD, kEAGAIN = EAGAIN, kENOMEM = ENOMEM,
  kEACCES = EACCES, kEFAULT = EFAULT, kENOTBLK = ENOTBLK, kEBUSY = EBUSY,
  kEEXIST = EEXIST, kEXDEV = EXDEV, kENODEV = ENODEV, kENOTDIR = ENOTDIR,
  kEISDIR = EISDIR, kEINVAL = EINVAL, kENFILE = ENFILE, kEMFILE = EMFILE,
  kENOTTY = ENOTTY, kETXTBSY = ETXTBSY, kEFBIG = EFBIG, kENOSPC = ENOSPC,
  kESPIPE = ESPIPE, kEROFS = EROFS, kEMLINK = EMLINK, kEPIPE = EPIPE,
  kEDOM = EDOM, kERANGE = ERANGE, kEDEADLK = EDEADLK,
  kENAMETOOLONG = ENAMETOOLONG, kENOLCK = ENOLCK, kENOSYS = ENOSYS,
  kENOTEMPTY = ENOTEMPTY, kELOOP = ELOOP, kENOMSG = ENOMSG,
  kENODATA = ENODATA, kETIME = ETIME, kEOVERFLOW = EOVERFLOW,
  kEBADFD = EBADFD, kENOTSOCK = ENOTSOCK, kEDESTADDRREQ = EDESTADDRREQ,
  kEMSGSIZE = EMSGSIZE, kEPROTOTYPE = EPROTOTYPE, kENOPROTOOPT = ENOPROTOOPT,
  kEPROTONOSUPPORT = EPROTONOSUPPORT, kEOPNOTSUPP = EOPNOTSUPP,
  kEAFNOSUPPORT = EAFNOSUPPORT, kEADDRINUSE = EADDRINUSE,
  kEADDRNOTAVAIL = EADDRNOTAVAIL, kENETUNREACH = ENETUNREACH,
  kECONNABORTED = ECONNABORTED, kECONNRESET = ECONNRESET,
  kENOBUFS = ENOBUFS, kEISCONN = EISCONN, kENOTCONN = ENOTCONN,
  kETIMEDOUT = ETIMEDOUT, kECONNREFUSED = ECONNREFUSED,
  kEALREADY = EALREADY, kEINPROGRESS = EINPROGRESS, kECANCELED = ECANCELED,
  kEOWNERDEAD = EOWNERDEAD, kENOTRECOVERABLE = ENOTRECOVERABLE,
  kELIBBAD = ELIBBAD,
  // Kernel-internal: converted to EINTR or a restart before returning.
  kERESTARTSYS = 512, kERESTARTNOINTR = 513, kERESTARTNOHAND = 514,
  kERESTART_RESTARTBLOCK = 516,
};

constexpr int ToInt(Errno e) { return static_cast<int>(e); }
constexpr Errno FromInt(int e) { return static_cast<Errno>(e); }

// "ENOENT"-style name for logs and strace output.
const char* ErrnoName(Errno e);
inline const char* ErrnoName(int e) { return ErrnoName(FromInt(e)); }

// Errno from the host's errno after a failed host call.
inline Errno HostErrno() { return FromInt(errno); }

}  // namespace bulwark
