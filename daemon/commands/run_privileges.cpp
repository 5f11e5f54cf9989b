#include "commands/run_privileges.h"

#include "util/capabilities.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <thread>
#include <utility>

namespace scx_custody::commands {

Result<prom::MetricsServer>
start_server_without_capabilities(std::string_view listen,
                                  std::shared_ptr<const prom::MetricSet> metrics,
                                  prom::HealthCheck health, prom::LogSink log) {
    std::optional<Result<prom::MetricsServer>> started;
    // Capabilities are per thread and inherited by the threads a thread
    // creates; the signal mask is inherited the same way, so the stop signals
    // blocked by the caller stay blocked on the HTTP threads.
    std::thread starter([&] {
        if (auto dropped = drop_all_capabilities(); !dropped) {
            started.emplace(Error{"cannot start the HTTP server without capabilities: " +
                                  dropped.error().message});
            return;
        }
        started.emplace(prom::MetricsServer::start(listen, std::move(metrics), std::move(health),
                                                   std::move(log)));
    });
    starter.join();
    return std::move(*started);
}

void shed_capabilities_after_attach() {
    const auto& keep = daemon_capabilities();
    if (auto kept = keep_only_capabilities(keep); !kept) {
        spdlog::warn("still holding more capabilities than needed ({}): {}",
                     current_capabilities_text(), kept.error().message);
        return;
    }
    std::string names;
    for (const auto& k : keep)
        names += (names.empty() ? "" : ", ") + std::string(k.name);
    spdlog::info("capabilities reduced to {} (to trace schedulers registered later)", names);
}

} // namespace scx_custody::commands
