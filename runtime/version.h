// Version strings reported by `bulwark --version` and in state.json.
#pragma once

namespace bulwark::runtime {

inline constexpr char kVersion[] = "0.1.0";
// The runtime-spec version bulwark implements, spelled as runc 1.1 does.
inline constexpr char kSpecVersion[] = "1.0.2-dev";

#ifdef BULWARK_COMMIT
inline constexpr char kCommit[] = BULWARK_COMMIT;
#else
// TODO(#3): have the build define BULWARK_COMMIT from `git describe`.
inline constexpr char kCommit[] = "unknown";
#endif

}  // namespace bulwark::runtime
