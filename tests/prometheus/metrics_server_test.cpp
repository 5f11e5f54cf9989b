// Unit tests of the metrics server: --listen validation, /metrics and /healthz on a
// loopback port, bind failures, and HealthState. Binds only to 127.0.0.1.
#include "exporters/prometheus/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "exporters/prometheus/health.h"
#include "exporters/prometheus/listen_address.h"
#include "exporters/prometheus/self_metrics.h"
#include "http_client.h"
#include "util/unique_fd.h"

namespace scx_custody::prom {
namespace {

// ---- parse_listen_address ----------------------------------------------------------

TEST(ListenAddress, AcceptsNumericHostsAndLocalhost) {
    struct Case {
        std::string_view text;
        std::string host;
        uint16_t port;
        bool ipv6;
    };
    for (const Case& c : {
             Case{"127.0.0.1:9476", "127.0.0.1", 9476, false},
             Case{"0.0.0.0:80", "0.0.0.0", 80, false},
             Case{"localhost:9476", "127.0.0.1", 9476, false},
             Case{"127.0.0.1:0", "127.0.0.1", 0, false},
             Case{"10.1.2.3:65535", "10.1.2.3", 65535, false},
             Case{"[::1]:9476", "::1", 9476, true},
             Case{"[::]:1", "::", 1, true},
         }) {
        SCOPED_TRACE(std::string(c.text));
        Result<ListenAddress> address = parse_listen_address(c.text);
        ASSERT_TRUE(address.ok()) << address.error().message;
        EXPECT_EQ(address->host, c.host);
        EXPECT_EQ(address->port, c.port);
        EXPECT_EQ(address->ipv6, c.ipv6);
    }
    EXPECT_EQ(parse_listen_address("[::1]:9476")->to_string(), "[::1]:9476");
    EXPECT_EQ(parse_listen_address(kDefaultListen)->to_string(), kDefaultListen);
}

TEST(ListenAddress, RejectsMalformedWithAOneLineUsageError) {
    for (std::string_view text : {
             "",
             "foo",
             "9476",
             "127.0.0.1",
             "1.2.3.4:99999",
             "1.2.3.4:123456",
             "host:",
             "127.0.0.1:",
             ":9476",
             "127.0.0.1:abc",
             "127.0.0.1:-1",
             "127.0.0.1:+80",
             "127.0.0.1: 80",
             "127.0.0.1:80 ",
             "1.2.3:80",
             "256.0.0.1:80",
             "example.com:80",
             "::1:9476",
             "[::1]",
             "[::1]9476",
             "[::1:9476",
             "[zz]:9476",
             "[]:9476",
         }) {
        SCOPED_TRACE(std::string(text));
        Result<ListenAddress> address = parse_listen_address(text);
        ASSERT_FALSE(address.ok());
        EXPECT_EQ(address.error().exit_code, ExitCode::Usage);
        EXPECT_EQ(address.error().message.find('\n'), std::string::npos);
        EXPECT_NE(address.error().message.find("listen address"), std::string::npos);
    }
}

// ---- HealthState ---------------------------------------------------------------------

TEST(HealthState, NeedsAttachAndARecentHeartbeat) {
    using namespace std::chrono_literals;
    HealthState health(5s);
    const auto t0 = HealthState::Clock::now();

    Health h = health.check_at(t0);
    EXPECT_FALSE(h.ok);
    EXPECT_EQ(h.reason, "not attached yet");

    health.set_attached(false, "attach custody_on_ops_dequeue: ENOENT");
    EXPECT_EQ(health.check_at(t0).reason, "attach custody_on_ops_dequeue: ENOENT");

    health.set_attached(true);
    h = health.check_at(t0);
    EXPECT_FALSE(h.ok);
    EXPECT_EQ(h.reason, "consumer not started");

    health.heartbeat_at(t0);
    EXPECT_TRUE(health.check_at(t0 + 4s).ok);
    h = health.check_at(t0 + 7s);
    EXPECT_FALSE(h.ok);
    EXPECT_EQ(h.reason, "consumer stalled: no ring buffer poll for 7.0 s");

    health.heartbeat_at(t0 + 7s);
    EXPECT_TRUE(health.check_at(t0 + 7s).ok);
    health.set_attached(false);
    EXPECT_EQ(health.check_at(t0 + 7s).reason, "not attached");
}

// ---- MetricsServer -------------------------------------------------------------------

using Response = test_support::HttpResponse;
using test_support::http;

class ServerTest : public ::testing::Test {
  protected:
    std::shared_ptr<MetricSet> metrics_ = std::make_shared<MetricSet>();
    SelfMetrics self_{*metrics_, 2, "9.9.9"};
    HealthState health_;
};

TEST_F(ServerTest, ServesMetricsHealthAndIndex) {
    Result<MetricsServer> server =
        MetricsServer::start("127.0.0.1:0", metrics_, health_.as_check());
    ASSERT_TRUE(server.ok()) << server.error().message;
    const uint16_t port = server->address().port;
    ASSERT_NE(port, 0);
    EXPECT_EQ(server->url(), "http://127.0.0.1:" + std::to_string(port) + "/metrics");

    Response metrics = http(port, "GET", "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.headers.find("text/plain; version=0.0.4"), std::string::npos);
    EXPECT_NE(metrics.body.find("# TYPE scx_custody_build_info gauge"), std::string::npos);
    EXPECT_NE(metrics.body.find("scx_custody_build_info{version=\"9.9.9\"} 1"), std::string::npos);
    EXPECT_NE(metrics.body.find("scx_custody_events_total{cpu=\"1\"} 0"), std::string::npos);

    Response head = http(port, "HEAD", "/metrics");
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.empty());

    Response unhealthy = http(port, "GET", "/healthz");
    EXPECT_EQ(unhealthy.status, 503);
    EXPECT_EQ(unhealthy.body, "not attached yet\n");

    health_.set_attached(true);
    health_.heartbeat();
    Response healthy = http(port, "GET", "/healthz");
    EXPECT_EQ(healthy.status, 200);
    EXPECT_EQ(healthy.body, "ok\n");

    Response index = http(port, "GET", "/");
    EXPECT_EQ(index.status, 200);
    EXPECT_NE(index.headers.find("text/html"), std::string::npos);
    EXPECT_NE(index.body.find("<a href=\"/metrics\">"), std::string::npos);
    EXPECT_NE(index.body.find("<a href=\"/healthz\">"), std::string::npos);
    EXPECT_EQ(http(port, "GET", "/nope").status, 404);
    EXPECT_EQ(http(port, "GET", "/metrics/extra").status, 404);
    // Only the exact paths: no encoded or dotted aliases.
    EXPECT_EQ(http(port, "GET", "/%6detrics").status, 404);
    EXPECT_EQ(http(port, "GET", "/x/../metrics").status, 404);
    EXPECT_EQ(http(port, "GET", "/metrics?name[]=x").status, 200);
    for (std::string_view method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
        for (std::string_view path : {"/metrics", "/healthz", "/"}) {
            Response refused = http(port, method, path);
            EXPECT_EQ(refused.status, 405) << method << " " << path;
            EXPECT_NE(refused.headers.find("Allow: GET, HEAD"), std::string::npos);
        }
    }

    // New series show up in the next scrape.
    self_.add_events(0, 3);
    EXPECT_NE(http(port, "GET", "/metrics").body.find("scx_custody_events_total{cpu=\"0\"} 3"),
              std::string::npos);

    server->stop();
    server->stop();
    EXPECT_EQ(http(port, "GET", "/metrics").status, 0);
}

TEST_F(ServerTest, WithoutAHealthCheckHealthzIsOk) {
    Result<MetricsServer> server = MetricsServer::start("127.0.0.1:0", metrics_, {});
    ASSERT_TRUE(server.ok()) << server.error().message;
    EXPECT_EQ(http(server->address().port, "GET", "/healthz").status, 200);
}

TEST_F(ServerTest, MovedServerKeepsServing) {
    Result<MetricsServer> started = MetricsServer::start("127.0.0.1:0", metrics_, {});
    ASSERT_TRUE(started.ok());
    MetricsServer server = std::move(started).value();
    EXPECT_EQ(http(server.address().port, "GET", "/metrics").status, 200);
}

TEST_F(ServerTest, PortInUseIsCannotRunWithOneLine) {
    Result<MetricsServer> first = MetricsServer::start("127.0.0.1:0", metrics_, {});
    ASSERT_TRUE(first.ok());
    const std::string taken = first->address().to_string();

    Result<MetricsServer> second = MetricsServer::start(taken, metrics_, {});
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().exit_code, ExitCode::CannotRun);
    EXPECT_EQ(second.error().message, "cannot listen on " + taken + ": Address already in use");
    EXPECT_EQ(second.error().err, EADDRINUSE);
}

TEST_F(ServerTest, PortHeldByAnotherSocketIsCannotRun) {
    UniqueFd holder(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(holder.valid());
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(holder.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(holder.get(), 1), 0);
    socklen_t length = sizeof addr;
    ASSERT_EQ(::getsockname(holder.get(), reinterpret_cast<sockaddr*>(&addr), &length), 0);

    Result<MetricsServer> server =
        MetricsServer::start("127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), metrics_, {});
    ASSERT_FALSE(server.ok());
    EXPECT_EQ(server.error().exit_code, ExitCode::CannotRun);
    EXPECT_EQ(server.error().message.find('\n'), std::string::npos);
}

TEST_F(ServerTest, AddressNotOnThisHostIsCannotRun) {
    // TEST-NET-1 (RFC 5737): never a local address.
    Result<MetricsServer> server = MetricsServer::start("192.0.2.1:9476", metrics_, {});
    ASSERT_FALSE(server.ok());
    EXPECT_EQ(server.error().exit_code, ExitCode::CannotRun);
    EXPECT_EQ(server.error().message,
              "cannot listen on 192.0.2.1:9476: Cannot assign requested address");
}

TEST_F(ServerTest, MalformedAddressIsUsage) {
    for (std::string_view text : {"foo", "1.2.3.4:99999", "host:"}) {
        Result<MetricsServer> server = MetricsServer::start(text, metrics_, {});
        ASSERT_FALSE(server.ok()) << text;
        EXPECT_EQ(server.error().exit_code, ExitCode::Usage) << text;
    }
}

} // namespace
} // namespace scx_custody::prom
