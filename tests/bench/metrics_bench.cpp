// Cost of one /metrics scrape on a large machine (scrape_fixture.h): every
// per-CPU label set present for 64 and 1,024 CPUs.
//   scrape        MetricSet::render_text(), the body MetricsServer sends: the
//                 registry's families through to_text_format, the per-CPU
//                 counter tables written directly
//   scrape_http   a real GET /metrics against MetricsServer on 127.0.0.1 (a new
//                 connection per scrape, as Prometheus makes when keep-alive is off)
// tests/bench/run-bench.py judges the 1,024-CPU figures (time, and bench_icount's
// instruction count for the serialized scrape).
#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "exporters/prometheus/metrics_server.h"
#include "scrape_fixture.h"
#include "util/unique_fd.h"

namespace scx_custody::bench {
namespace {

// The whole response to GET /metrics on 127.0.0.1:port; empty on any failure.
std::string http_get_metrics(uint16_t port) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!fd.valid() ||
        ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
        return {};
    const std::string request =
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size()))
        return {};
    std::string response;
    char buffer[1 << 16];
    for (;;) {
        const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
        if (n <= 0)
            return n == 0 ? response : std::string();
        response.append(buffer, static_cast<std::size_t>(n));
    }
}

void bm_scrape(benchmark::State& state) {
    const ScrapeFixture fixture(static_cast<uint32_t>(state.range(0)));
    std::size_t bytes = 0;
    for (auto _ : state) {
        std::string body = fixture.scrape();
        bytes = body.size();
        benchmark::DoNotOptimize(body);
    }
    state.counters["series"] = static_cast<double>(fixture.series());
    state.counters["body_bytes"] = static_cast<double>(bytes);
}

void bm_scrape_http(benchmark::State& state) {
    const ScrapeFixture fixture(static_cast<uint32_t>(state.range(0)));
    Result<prom::MetricsServer> server =
        prom::MetricsServer::start("127.0.0.1:0", fixture.metrics(), {});
    if (!server) {
        state.SkipWithError(server.error().message.c_str());
        return;
    }
    std::size_t bytes = 0;
    for (auto _ : state) {
        const std::string response = http_get_metrics(server->address().port);
        if (response.rfind("HTTP/1.1 200", 0) != 0) {
            state.SkipWithError("GET /metrics did not answer 200");
            break;
        }
        bytes = response.size();
    }
    state.counters["response_bytes"] = static_cast<double>(bytes);
}

} // namespace
} // namespace scx_custody::bench

// Real time: most of an HTTP scrape happens on the server's threads.
BENCHMARK(scx_custody::bench::bm_scrape)
    ->ArgName("cpus")
    ->Arg(64)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(scx_custody::bench::bm_scrape_http)
    ->ArgName("cpus")
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_MAIN();
