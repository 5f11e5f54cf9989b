#include "util/capabilities.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <cerrno>
#include <memory>

namespace scx_custody {
namespace {

// libcap allocates capability states and text; both are released with
// cap_free().
struct CapFree {
    void operator()(void* p) const { cap_free(p); }
};
using CapState = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;
using CapText = std::unique_ptr<char, CapFree>;

bool is_kept(cap_value_t cap, const std::vector<KeptCapability>& keep) {
    for (const auto& k : keep)
        if (k.value == cap)
            return true;
    return false;
}

// Drops from the bounding set what is in it and not kept. Needs CAP_SETPCAP;
// without it (a unit that already bounded the set) only a bounding set that
// still holds more than `keep` is an error.
Status shrink_bounding_set(const std::vector<KeptCapability>& keep) {
    for (cap_value_t cap = 0; cap < cap_max_bits(); ++cap) {
        if (is_kept(cap, keep) || cap_get_bound(cap) != 1)
            continue;
        if (cap_drop_bound(cap) != 0) {
            CapText name(cap_to_name(cap));
            return Error::system(std::string("cannot drop ") + (name ? name.get() : "?") +
                                     " from the capability bounding set (run as root, or "
                                     "bound the set in the service unit)",
                                 errno);
        }
    }
    return ok_status();
}

// Permitted, effective and inheritable become `keep`; ambient is emptied.
Status set_thread_capabilities(const std::vector<KeptCapability>& keep) {
    CapState state(cap_init());
    if (!state)
        return Error::system("cap_init", errno);
    std::vector<cap_value_t> values;
    for (const auto& k : keep)
        values.push_back(k.value);
    const int n = static_cast<int>(values.size());
    if (n > 0 && (cap_set_flag(state.get(), CAP_PERMITTED, n, values.data(), CAP_SET) != 0 ||
                  cap_set_flag(state.get(), CAP_EFFECTIVE, n, values.data(), CAP_SET) != 0))
        return Error::system("cap_set_flag", errno);
    if (cap_set_proc(state.get()) != 0)
        return Error::system("cannot reduce this thread's capabilities (capset)", errno);
    // The ambient set can only hold capabilities that stay permitted and
    // inheritable; the inheritable set is empty now, so clear it explicitly.
    if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() != 0)
        return Error::system("cannot clear the ambient capability set", errno);
    return ok_status();
}

} // namespace

const std::vector<KeptCapability>& daemon_capabilities() {
    static const std::vector<KeptCapability> kept = {
        {CAP_BPF, "cap_bpf", "loading fentry/fexit programs onto a new scheduler's programs"},
        {CAP_PERFMON, "cap_perfmon", "tracing programs that read kernel memory"},
        {CAP_SYS_ADMIN, "cap_sys_admin",
         "finding a new scheduler's programs, maps and BTF by id (BPF_*_GET_FD_BY_ID)"},
    };
    return kept;
}

Status keep_only_capabilities(const std::vector<KeptCapability>& keep) {
    if (auto bounded = shrink_bounding_set(keep); !bounded)
        return bounded;
    return set_thread_capabilities(keep);
}

// The bounding set is left alone: it only limits what an execve() could
// grant, these threads never exec, and shrinking it needs CAP_SETPCAP, which
// the packaged unit does not give.
Status drop_all_capabilities() {
    return set_thread_capabilities({});
}

std::string current_capabilities_text() {
    CapState state(cap_get_proc());
    if (!state)
        return "?";
    CapText text(cap_to_text(state.get(), nullptr));
    return text ? text.get() : "?";
}

} // namespace scx_custody
