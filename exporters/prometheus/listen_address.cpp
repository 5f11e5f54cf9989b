#include "listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

namespace scx_custody::prom {
namespace {

Error bad(std::string_view text, std::string_view why) {
    std::string message = "listen address \"";
    message += text;
    message += "\": ";
    message += why;
    return Error::usage(std::move(message));
}

constexpr std::string_view kExpected = "expected HOST:PORT, e.g. 127.0.0.1:9476";

} // namespace

std::string ListenAddress::to_string() const {
    const std::string port_text = std::to_string(port);
    return ipv6 ? "[" + host + "]:" + port_text : host + ":" + port_text;
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
    if (text.empty())
        return bad(text, kExpected);

    ListenAddress address;
    std::string_view host;
    std::string_view port;
    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos)
            return bad(text, "missing ']' after the IPv6 address");
        host = text.substr(1, close - 1);
        const std::string_view rest = text.substr(close + 1);
        if (rest.empty() || rest.front() != ':')
            return bad(text, "missing ':PORT' after the IPv6 address");
        port = rest.substr(1);
        address.ipv6 = true;
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos)
            return bad(text, kExpected);
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
            return bad(text, "an IPv6 address needs brackets, e.g. [::1]:9476");
    }

    if (host.empty())
        return bad(text, "missing host; " + std::string(kExpected));
    if (port.empty())
        return bad(text, "missing port; " + std::string(kExpected));

    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || port.size() > 5 || value > 65535)
        return bad(text, "the port must be a number from 0 to 65535");
    address.port = static_cast<uint16_t>(value);

    if (address.ipv6) {
        in6_addr ip6{};
        address.host = std::string(host);
        if (inet_pton(AF_INET6, address.host.c_str(), &ip6) != 1)
            return bad(text, "not a numeric IPv6 address");
        return address;
    }
    if (host == "localhost") {
        address.host = "127.0.0.1";
        return address;
    }
    in_addr ip4{};
    address.host = std::string(host);
    if (inet_pton(AF_INET, address.host.c_str(), &ip4) != 1)
        return bad(text, "the host must be a numeric IP address or localhost");
    return address;
}

} // namespace scx_custody::prom
