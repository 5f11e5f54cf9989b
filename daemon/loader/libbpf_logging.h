// Routes libbpf's messages to the "libbpf" spdlog logger: warnings always,
// debug output only with -v.
#pragma once

namespace scx_custody::loader {

void route_libbpf_logs(bool verbose);

} // namespace scx_custody::loader
