#include "metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <civetweb.h>
#include <cstring>
#include <exception>
#include <mutex>
#include <utility>
#include <vector>

#include "util/unique_fd.h"

namespace scx_custody::prom {

struct MetricsServer::Impl {
    ListenAddress address;
    std::shared_ptr<const MetricSet> metrics;
    HealthCheck health;
    LogSink log;

    std::mutex log_mutex;
    bool starting = true;
    std::string start_error; // civetweb's first message while starting

    mg_context* context = nullptr;

    ~Impl() { stop(); }
    void stop() {
        if (context)
            mg_stop(std::exchange(context, nullptr));
    }
};

namespace {

constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";
constexpr std::string_view kHtmlContentType = "text/html; charset=utf-8";
constexpr std::string_view kIndex =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>scx-custody</title></head><body>\n"
    "<h1>scx-custody</h1>\n<ul>\n"
    "<li><a href=\"/metrics\">/metrics</a>: Prometheus metrics</li>\n"
    "<li><a href=\"/healthz\">/healthz</a>: 200 when attached and consuming, else 503</li>\n"
    "</ul>\n</body></html>\n";

// civetweb's settings. Its defaults suit a file server; these bound what a client
// can hold or make the server allocate (tests/prometheus/check_hostile_requests.py
// measures the result).
//
// Workers: each serves one connection at a time, and a client that never finishes
// its request holds one until the request timeout, so N stalled connections delay a
// scrape by about N / workers timeouts. With 64 workers and 200 connections stalled
// on purpose a scrape took at most 6 s (2 workers and a 10 s timeout: over 11 s, and
// unbounded while the attack lasts); they cost about 3 MiB of RSS.
constexpr const char* kWorkerThreads = "64";
// The whole request head must arrive within this time (Prometheus sends it at
// once); it is also the longest a response write may go without progress.
constexpr const char* kRequestTimeoutMs = "2000";
// Longest request head (request line and headers; a scrape's is under 1 KiB): a
// longer one is answered 413 without buffering more. Also each worker's buffer.
constexpr const char* kMaxRequestSize = "8192";
// Connections the kernel holds while every worker is busy, instead of refusing.
constexpr const char* kListenBacklog = "512";
// One request per connection: a kept-alive connection would pin a worker between
// scrapes.
constexpr const char* kKeepAlive = "no";
// Paths are matched exactly as sent (see handle_request): no percent-decoding.
constexpr const char* kDecodeUrl = "no";

int send(mg_connection* conn, int status, std::string_view content_type, std::string_view body,
         bool head_only) {
    const std::string length = std::to_string(body.size());
    mg_response_header_start(conn, status);
    mg_response_header_add(conn, "Content-Type", content_type.data(),
                           static_cast<int>(content_type.size()));
    mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
    mg_response_header_add(conn, "Cache-Control", "no-store", -1);
    mg_response_header_add(conn, "X-Content-Type-Options", "nosniff", -1);
    if (status == 405)
        mg_response_header_add(conn, "Allow", "GET, HEAD", -1);
    mg_response_header_send(conn);
    if (!head_only && !body.empty())
        mg_write(conn, body.data(), body.size());
    return status;
}

int handle_request(mg_connection* conn, void* cbdata) {
    auto* impl = static_cast<MetricsServer::Impl*>(cbdata);
    const mg_request_info* request = mg_get_request_info(conn);
    const std::string_view method = request->request_method ? request->request_method : "";
    // The path as sent, without the query string: "/metrics" only, never an encoded
    // (/%6detrics) or dotted (/x/../metrics) alias of it. Null for a request that
    // does not address this server (an absolute URI for another host, "*").
    const std::string_view path = request->local_uri_raw ? request->local_uri_raw : "";
    const bool head = method == "HEAD";

    // Exceptions must not cross civetweb's C frames.
    try {
        if (path != "/metrics" && path != "/healthz" && path != "/")
            return send(conn, 404, kTextContentType, "not found\n", head);
        if (method != "GET" && !head)
            return send(conn, 405, kTextContentType, "method not allowed\n", head);
        if (path == "/metrics")
            return send(conn, 200, kMetricsContentType, impl->metrics->render_text(), head);
        if (path == "/healthz") {
            const Health health = impl->health ? impl->health() : Health{true, {}};
            if (health.ok)
                return send(conn, 200, kTextContentType, "ok\n", head);
            const std::string reason = health.reason.empty() ? "unhealthy" : health.reason;
            return send(conn, 503, kTextContentType, reason + "\n", head);
        }
        return send(conn, 200, kHtmlContentType, kIndex, head);
    } catch (const std::exception& e) {
        return send(conn, 500, kTextContentType, std::string(e.what()) + "\n", head);
    } catch (...) {
        return send(conn, 500, kTextContentType, "internal error\n", head);
    }
}

int handle_log(const mg_connection* conn, const char* message) {
    const mg_context* context = conn ? mg_get_context(conn) : nullptr;
    auto* impl = context ? static_cast<MetricsServer::Impl*>(mg_get_user_data(context)) : nullptr;
    if (!impl || !message)
        return 1;
    std::string_view text(message);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.remove_suffix(1);
    std::lock_guard lock(impl->log_mutex);
    if (impl->starting) {
        if (impl->start_error.empty())
            impl->start_error = std::string(text);
    } else if (impl->log) {
        impl->log(text);
    }
    return 1; // handled: civetweb writes nothing itself
}

// Binding first gives an errno-based one-line cause ("Address already in use")
// instead of civetweb's generic start-up failure.
Status check_bindable(const ListenAddress& address) {
    const int family = address.ipv6 ? AF_INET6 : AF_INET;
    UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid())
        return Error::system("cannot listen on " + address.to_string() + ": socket", errno);
    const int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);

    sockaddr_storage storage{};
    socklen_t length = 0;
    if (address.ipv6) {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(address.port);
        inet_pton(AF_INET6, address.host.c_str(), &sin6->sin6_addr);
        length = sizeof *sin6;
    } else {
        auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(address.port);
        inet_pton(AF_INET, address.host.c_str(), &sin->sin_addr);
        length = sizeof *sin;
    }
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&storage), length) != 0)
        return Error::system("cannot listen on " + address.to_string(), errno);
    return ok_status();
}

} // namespace

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MetricsServer::MetricsServer(MetricsServer&&) noexcept = default;
MetricsServer& MetricsServer::operator=(MetricsServer&&) noexcept = default;
MetricsServer::~MetricsServer() = default;

Result<MetricsServer> MetricsServer::start(std::string_view listen,
                                           std::shared_ptr<const MetricSet> metrics,
                                           HealthCheck health, LogSink log) {
    Result<ListenAddress> address = parse_listen_address(listen);
    if (!address)
        return address.error();
    return start(address.value(), std::move(metrics), std::move(health), std::move(log));
}

Result<MetricsServer> MetricsServer::start(const ListenAddress& listen,
                                           std::shared_ptr<const MetricSet> metrics,
                                           HealthCheck health, LogSink log) {
    if (!metrics)
        return Error::usage("metrics server: nothing to serve");
    if (listen.ipv6 && mg_check_feature(MG_FEATURES_IPV6) == 0)
        return Error::usage("listen address \"" + listen.to_string() +
                            "\": this build's HTTP server (civetweb) has no IPv6 support");
    if (Status bindable = check_bindable(listen); !bindable)
        return bindable.error();

    auto impl = std::make_unique<Impl>();
    impl->address = listen;
    impl->metrics = std::move(metrics);
    impl->health = std::move(health);
    impl->log = std::move(log);

    const std::string ports = listen.to_string();
    // One name-value pair per line.
    // clang-format off
    const char* options[] = {
        "listening_ports",    ports.c_str(),
        "num_threads",        kWorkerThreads,
        "request_timeout_ms", kRequestTimeoutMs,
        "max_request_size",   kMaxRequestSize,
        "listen_backlog",     kListenBacklog,
        "enable_keep_alive",  kKeepAlive,
        "decode_url",         kDecodeUrl,
        nullptr,
    };
    // clang-format on
    mg_callbacks callbacks{};
    callbacks.log_message = handle_log;
    impl->context = mg_start(&callbacks, impl.get(), options);
    {
        std::lock_guard lock(impl->log_mutex);
        impl->starting = false;
    }
    if (!impl->context) {
        std::string cause =
            impl->start_error.empty() ? "the HTTP server did not start" : impl->start_error;
        return Error::cannot_run("cannot listen on " + ports + ": " + cause);
    }

    mg_server_port bound[4];
    const int n = mg_get_server_ports(impl->context, 4, bound);
    if (n >= 1 && bound[0].port > 0)
        impl->address.port = static_cast<uint16_t>(bound[0].port);

    mg_set_request_handler(impl->context, "/", handle_request, impl.get());
    return MetricsServer(std::move(impl));
}

const ListenAddress& MetricsServer::address() const {
    return impl_->address;
}

std::string MetricsServer::url(std::string_view path) const {
    return "http://" + impl_->address.to_string() + std::string(path);
}

void MetricsServer::stop() {
    if (impl_)
        impl_->stop();
}

} // namespace scx_custody::prom
