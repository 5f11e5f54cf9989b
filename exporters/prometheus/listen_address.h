// The --listen address of the metrics server: validated here, before anything is
// handed to the HTTP server, so a bad value is a usage error with a one-line cause.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace scx_custody::prom {

inline constexpr std::string_view kDefaultListen = "127.0.0.1:9476";

struct ListenAddress {
    // A numeric address: dotted-quad IPv4, or IPv6 without brackets ("::1").
    std::string host;
    // 0 asks the kernel for a free port (MetricsServer::address() has the one bound).
    uint16_t port = 0;
    bool ipv6 = false;

    // "127.0.0.1:9476", "[::1]:9476".
    std::string to_string() const;

    friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

// Accepts IPV4:PORT, [IPV6]:PORT and localhost:PORT (taken as 127.0.0.1), PORT from
// 0 to 65535. Host names other than localhost are refused: the address must not
// depend on name resolution. Errors are ExitCode::Usage.
Result<ListenAddress> parse_listen_address(std::string_view text);

} // namespace scx_custody::prom
