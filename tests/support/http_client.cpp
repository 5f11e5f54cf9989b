#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "util/unique_fd.h"

namespace scx_custody::test_support {

HttpResponse http(uint16_t port, std::string_view method, std::string_view path) {
    HttpResponse response;
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid())
        return response;
    timeval timeout{5, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return response;
    const std::string request =
        std::string(method) + " " + std::string(path) + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size()))
        return response;
    std::string raw;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
        if (n <= 0)
            break;
        raw.append(buffer, static_cast<std::size_t>(n));
    }
    const auto end = raw.find("\r\n\r\n");
    if (raw.size() < 12 || end == std::string::npos)
        return response;
    response.status = std::stoi(raw.substr(9, 3));
    response.headers = raw.substr(0, end);
    response.body = raw.substr(end + 4);
    return response;
}

} // namespace scx_custody::test_support
