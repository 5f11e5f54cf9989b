#include "util/kernel_env.h"

#include "util/sysfs_text.h"

#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace scx_custody {
namespace {

constexpr const char* kSchedExtDir = "/sys/kernel/sched_ext";
constexpr const char* kCgroupDir = "/sys/fs/cgroup";

} // namespace

std::string kernel_release() {
    utsname u{};
    if (uname(&u) != 0)
        return "unknown";
    return u.release;
}

std::optional<uint64_t> sched_ext_enable_seq() {
    return parse_u64(read_first_line(std::string(kSchedExtDir) + "/enable_seq"));
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

namespace {

// Depth-first over sub/sub-<id>/sub/...: a sub-scheduler can have its own.
void collect_sub_schedulers(const std::filesystem::path& sub_dir, const std::string& parent_path,
                            std::vector<SubSchedulerDir>& out, int depth) {
    std::error_code ec;
    if (depth > 16) // the kernel bounds the tree's depth far below this
        return;
    for (const auto& entry : std::filesystem::directory_iterator(sub_dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("sub-", 0) != 0)
            continue;
        const std::string path = parent_path + "/sub/" + name;
        char* end = nullptr;
        const uint64_t cgroup = std::strtoull(name.c_str() + 4, &end, 10);
        if (end != name.c_str() + 4 && *end == '\0')
            out.push_back({cgroup, path});
        collect_sub_schedulers(entry.path() / "sub", path, out, depth + 1);
    }
}

} // namespace

std::vector<SubSchedulerDir> sub_schedulers_in(const std::string& sched_ext_dir) {
    std::vector<SubSchedulerDir> out;
    collect_sub_schedulers(std::filesystem::path(sched_ext_dir) / "root" / "sub", "root", out, 0);
    return out;
}

std::vector<uint64_t> sub_scheduler_cgroups_in(const std::string& sched_ext_dir) {
    std::vector<uint64_t> out;
    for (const auto& sub : sub_schedulers_in(sched_ext_dir))
        out.push_back(sub.cgroup_id);
    return out;
}

namespace {

// The cgroup ids (inode numbers of cgroupfs directories) from the root's
// child down to `cgroup_id`; empty when no directory has that id.
bool cgroup_chain(const std::filesystem::path& dir, uint64_t cgroup_id,
                  std::vector<uint64_t>& chain, int depth) {
    std::error_code ec;
    if (depth > 32)
        return false;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (!entry.is_directory(ec) || entry.is_symlink(ec))
            continue;
        struct stat st {};
        if (::stat(entry.path().c_str(), &st) != 0)
            continue;
        chain.push_back(st.st_ino);
        if (st.st_ino == cgroup_id || cgroup_chain(entry.path(), cgroup_id, chain, depth + 1))
            return true;
        chain.pop_back();
    }
    return false;
}

} // namespace

std::string sched_ext_tree_path(uint64_t cgroup_id, const std::set<uint64_t>& sub_cgroups) {
    for (const auto& sub : sub_schedulers_in(kSchedExtDir))
        if (sub.cgroup_id == cgroup_id)
            return sub.tree_path;
    // Not in sysfs yet (a sub-scheduler still being enabled): from the cgroup
    // hierarchy, each ancestor cgroup with a sub-scheduler of its own being a
    // level of the tree.
    std::vector<uint64_t> chain;
    if (!cgroup_chain(kCgroupDir, cgroup_id, chain, 0))
        return "";
    std::string path = "root";
    for (uint64_t id : chain)
        if (id == cgroup_id || sub_cgroups.contains(id))
            path += "/sub/sub-" + std::to_string(id);
    return path;
}

std::vector<uint64_t> sched_ext_sub_scheduler_cgroups() {
    return sub_scheduler_cgroups_in(kSchedExtDir);
}

Status require_root(const char* what) {
    if (geteuid() != 0)
        return Error::cannot_run(std::string(what) +
                                 " needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN): "
                                 "run it with sudo");
    return ok_status();
}

} // namespace scx_custody
