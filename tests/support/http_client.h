// A minimal HTTP/1.0 client for the tests that scrape the exporter's server on
// a loopback port: one request, read to EOF, bounded by a 5 s timeout.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace scx_custody::test_support {

struct HttpResponse {
    int status = 0; // 0: no answer
    std::string headers;
    std::string body;
};

HttpResponse http(uint16_t port, std::string_view method, std::string_view path);

} // namespace scx_custody::test_support
