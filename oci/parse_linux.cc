#include <set>

#include "oci/names.h"
#include "oci/parse_internal.h"

namespace bulwark::oci::internal {
namespace {

Result<Namespace> ParseNamespace(const Json& v, const std::string& path) {
  Object object = TRY(Object::Of(v, path));
  Namespace ns;
  TRY(object.Require("type", &ns.type));
  if (!IsNamespaceType(ns.type)) {
    return FieldError(object.PathOf("type"),
                      "unknown namespace type " + Quote(ns.type));
  }
  TRY(object.Get("path", &ns.path));
  if (!ns.path.empty()) TRY(CheckAbsolute(ns.path, object.PathOf("path")));
  return ns;
}

Result<IdMapping> ParseIdMapping(const Json& v, const std::string& path) {
  Object object = TRY(Object::Of(v, path));
  IdMapping mapping;
  TRY(object.Require("containerID", &mapping.container_id));
  TRY(object.Require("hostID", &mapping.host_id));
  TRY(object.Require("size", &mapping.size));
  return mapping;
}

Result<DeviceRule> ParseDeviceRule(const Json& v, const std::string& path) {
  Object object = TRY(Object::Of(v, path));
  DeviceRule rule;
  TRY(object.Require("allow", &rule.allow));
  TRY(object.Get("type", &rule.type));
  TRY(object.Get("major", &rule.major));
  TRY(object.Get("minor", &rule.minor));
  TRY(object.Get("access", &rule.access));
  return rule;
}

Result<Resources> ParseResources(const Object& linux_object) {
  Resources resources;
  auto object = TRY(linux_object.Child("resources"));
  if (!object) return resources;
  if (auto memory = TRY(object->Child("memory"))) {
    MemoryResources& m = resources.memory;
    TRY(memory->Get("limit", &m.limit));
    TRY(memory->Get("reservation", &m.reservation));
    TRY(memory->Get("swap", &m.swap));
    TRY(memory->Get("kernel", &m.kernel));
    TRY(memory->Get("kernelTCP", &m.kernel_tcp));
    TRY(memory->Get("swappiness", &m.swappiness));
    TRY(memory->Get("disableOOMKiller", &m.disable_oom_killer));
  }
  if (auto cpu = TRY(object->Child("cpu"))) {
    CpuResources& c = resources.cpu;
    TRY(cpu->Get("shares", &c.shares));
    TRY(cpu->Get("quota", &c.quota));
    TRY(cpu->Get("period", &c.period));
    TRY(cpu->Get("realtimeRuntime", &c.realtime_runtime));
    TRY(cpu->Get("realtimePeriod", &c.realtime_period));
    TRY(cpu->Get("cpus", &c.cpus));
    TRY(cpu->Get("mems", &c.mems));
  }
  if (auto pids = TRY(object->Child("pids"))) {
    PidsResources p;
    TRY(pids->Require("limit", &p.limit));
    resources.pids = p;
  }
  TRY(object->Array("devices", &resources.devices, ParseDeviceRule));
  return resources;
}

Result<void> CheckSeccompAction(const std::string& action,
                                const std::string& path) {
  if (!IsSeccompAction(action)) {
    return FieldError(path, "unknown seccomp action " + Quote(action));
  }
  return {};
}

Result<SeccompArg> ParseSeccompArg(const Json& v, const std::string& path) {
  Object object = TRY(Object::Of(v, path));
  SeccompArg arg;
  TRY(object.Require("index", &arg.index));
  TRY(object.Require("value", &arg.value));
  TRY(object.Get("valueTwo", &arg.value_two));
  TRY(object.Require("op", &arg.op));
  if (!IsSeccompOperator(arg.op)) {
    return FieldError(object.PathOf("op"),
                      "unknown seccomp operator " + Quote(arg.op));
  }
  return arg;
}

Result<SeccompSyscall> ParseSeccompSyscall(const Json& v,
                                           const std::string& path) {
  Object object = TRY(Object::Of(v, path));
  SeccompSyscall syscall;
  const Json* names = object.Find("names");
  if (names == nullptr ||
      !Decode(*names, object.PathOf("names"), &syscall.names) ||
      syscall.names.empty()) {
    return FieldError(object.PathOf("names"),
                      "must be a non-empty array of strings");
  }
  TRY(object.Require("action", &syscall.action));
  TRY(CheckSeccompAction(syscall.action, object.PathOf("action")));
  TRY(object.Get("errnoRet", &syscall.errno_ret));
  TRY(object.Array("args", &syscall.args, ParseSeccompArg));
  return syscall;
}

Result<std::optional<Seccomp>> ParseSeccomp(const Object& linux_object) {
  auto object = TRY(linux_object.Child("seccomp"));
  if (!object) return std::optional<Seccomp>();
  Seccomp seccomp;
  TRY(object->Require("defaultAction", &seccomp.default_action));
  TRY(CheckSeccompAction(seccomp.default_action,
                         object->PathOf("defaultAction")));
  TRY(object->Get("defaultErrnoRet", &seccomp.default_errno_ret));
  TRY(object->Get("architectures", &seccomp.architectures));
  TRY(object->Get("flags", &seccomp.flags));
  TRY(object->Array("syscalls", &seccomp.syscalls, ParseSeccompSyscall));
  return seccomp;
}

Result<Device> ParseDevice(const Json& v, const std::string& path) {
  Object object = TRY(Object::Of(v, path));
  Device device;
  TRY(object.Require("type", &device.type));
  if (device.type != "c" && device.type != "b" && device.type != "u" &&
      device.type != "p") {
    return FieldError(object.PathOf("type"),
                      "unknown device type " + Quote(device.type));
  }
  TRY(object.Require("path", &device.path));
  TRY(CheckAbsolute(device.path, object.PathOf("path")));
  if (device.type == "p") {
    TRY(object.Get("major", &device.major));
    TRY(object.Get("minor", &device.minor));
  } else {
    device.major.emplace();
    device.minor.emplace();
    TRY(object.Require("major", &*device.major));
    TRY(object.Require("minor", &*device.minor));
  }
  TRY(object.Get("fileMode", &device.file_mode));
  TRY(object.Get("uid", &device.uid));
  TRY(object.Get("gid", &device.gid));
  return device;
}

Result<void> GetAbsolutePaths(const Object& object, std::string_view key,
                              std::vector<std::string>* out) {
  TRY(object.Get(key, out));
  for (size_t i = 0; i < out->size(); ++i) {
    TRY(CheckAbsolute((*out)[i], ElementPath(object.PathOf(key), i)));
  }
  return {};
}

}  // namespace

Result<Linux> ParseLinux(const Json& v) {
  Object object = TRY(Object::Of(v, "linux"));
  Linux linux_spec;
  TRY(object.Array("namespaces", &linux_spec.namespaces, ParseNamespace));
  std::set<std::string> seen;
  for (size_t i = 0; i < linux_spec.namespaces.size(); ++i) {
    const std::string& type = linux_spec.namespaces[i].type;
    if (!seen.insert(type).second) {
      return FieldError(
          MemberPath(ElementPath(object.PathOf("namespaces"), i), "type"),
          "duplicate namespace " + Quote(type));
    }
  }
  TRY(object.Array("uidMappings", &linux_spec.uid_mappings, ParseIdMapping));
  TRY(object.Array("gidMappings", &linux_spec.gid_mappings, ParseIdMapping));
  linux_spec.resources = TRY(ParseResources(object));
  TRY(object.Get("cgroupsPath", &linux_spec.cgroups_path));
  TRY(object.Get("sysctl", &linux_spec.sysctl));
  linux_spec.seccomp = TRY(ParseSeccomp(object));
  TRY(object.Get("rootfsPropagation", &linux_spec.rootfs_propagation));
  if (!linux_spec.rootfs_propagation.empty() &&
      !IsRootfsPropagation(linux_spec.rootfs_propagation)) {
    return FieldError(
        object.PathOf("rootfsPropagation"),
        "unknown propagation " + Quote(linux_spec.rootfs_propagation));
  }
  TRY(GetAbsolutePaths(object, "maskedPaths", &linux_spec.masked_paths));
  TRY(GetAbsolutePaths(object, "readonlyPaths", &linux_spec.readonly_paths));
  TRY(object.Get("mountLabel", &linux_spec.mount_label));
  TRY(object.Array("devices", &linux_spec.devices, ParseDevice));
  return linux_spec;
}

}  // namespace bulwark::oci::internal
