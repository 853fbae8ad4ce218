#include "base/errno.h"

#include <cstring>

namespace bulwark {

const char* ErrnoName(Errno e) {
  switch (e) {
    case Errno::kERESTARTSYS: return "ERESTARTSYS";
    case Errno::kERESTARTNOINTR: return "ERESTARTNOINTR";
    case Errno::kERESTARTNOHAND: return "ERESTARTNOHAND";
    case Errno::kERESTART_RESTARTBLOCK: return "ERESTART_RESTARTBLOCK";
    default: break;
  }
  const char* name = strerrorname_np(ToInt(e));
  return name != nullptr ? name : "E?";
}

}  // namespace bulwark
