#include "pairing/event.h"

#include <algorithm>

namespace scx_custody::pairing {

Comm make_comm(std::string_view name) {
    Comm comm{};
    const std::size_t n = std::min(name.size(), comm.size() - 1);
    std::copy_n(name.data(), n, comm.data());
    return comm;
}

std::string_view comm_view(const Comm& comm) {
    const auto end = std::find(comm.begin(), comm.end(), '\0');
    return std::string_view(comm.data(), static_cast<std::size_t>(end - comm.begin()));
}

} // namespace scx_custody::pairing
