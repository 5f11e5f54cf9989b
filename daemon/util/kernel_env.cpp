#include "util/kernel_env.h"

#include <fstream>
#include <sys/utsname.h>
#include <unistd.h>

namespace scx_custody {
namespace {

constexpr const char* kSchedExtDir = "/sys/kernel/sched_ext";

std::string read_first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

} // namespace

std::string kernel_release() {
    utsname u{};
    if (uname(&u) != 0)
        return "unknown";
    return u.release;
}

std::optional<uint64_t> sched_ext_enable_seq() {
    const std::string text = read_first_line(std::string(kSchedExtDir) + "/enable_seq");
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return std::stoull(text);
}

Result<SchedExtStatus> sched_ext_status() {
    if (access(kSchedExtDir, F_OK) != 0)
        return Error::cannot_run("kernel " + kernel_release() +
                                 " has no sched_ext: CONFIG_SCHED_CLASS_EXT is not set "
                                 "(boot a kernel built with it, 6.12 or later)");
    SchedExtStatus status;
    status.state = read_first_line(std::string(kSchedExtDir) + "/state");
    status.scheduler = read_first_line(std::string(kSchedExtDir) + "/root/ops");
    if (status.state == "disabled")
        status.scheduler.clear();
    return status;
}

Status require_root(const char* what) {
    if (geteuid() != 0)
        return Error::cannot_run(std::string(what) +
                                 " needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN): "
                                 "run it with sudo");
    return ok_status();
}

} // namespace scx_custody
