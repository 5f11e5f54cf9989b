// Least privilege for the long-running daemon. Capabilities belong to each
// thread, not to the process: a thread can shed its own, and threads it
// starts afterwards inherit what it kept. `run` uses that twice:
//   - the HTTP server's threads are started from a thread that dropped every
//     capability first, so code answering the network holds none;
//   - once the kernel hooks are attached, the main thread keeps only what
//     following a newly registered scheduler needs (daemon_capabilities()).
#pragma once

#include "util/result.h"

#include <string>
#include <vector>

namespace scx_custody {

// A capability `run` keeps after attaching, and the kernel operation that
// needs it.
struct KeptCapability {
    int value;        // CAP_* number
    const char* name; // "cap_bpf"
    const char* needed_for;
};

// CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN: tracing a scheduler registered
// later means finding its programs by id and loading fentry/fexit programs
// onto them (docs/DEPLOYMENT.md has the table).
const std::vector<KeptCapability>& daemon_capabilities();

// The calling thread keeps only `keep` in its permitted and effective sets;
// its inheritable and ambient sets are emptied, and every other capability
// leaves its bounding set where CAP_SETPCAP allows (under the packaged unit
// the bounding set is already these three). Idempotent.
Status keep_only_capabilities(const std::vector<KeptCapability>& keep);

// The calling thread gives up every capability (for threads that only serve
// HTTP).
Status drop_all_capabilities();

// The calling thread's capabilities in libcap's text form ("=" when none),
// for the log.
std::string current_capabilities_text();

} // namespace scx_custody
