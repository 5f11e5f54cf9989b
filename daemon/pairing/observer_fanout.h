// ObserverFanout: one engine observer that forwards every callback to several
// (the engine takes one; the daemon feeds metrics and a violation log).
#pragma once

#include "pairing/observer.h"

#include <initializer_list>
#include <vector>

namespace scx_custody::pairing {

class ObserverFanout final : public EngineObserver {
  public:
    ObserverFanout(std::initializer_list<EngineObserver*> observers) : observers_(observers) {}

    void on_scheduler_attach(const SchedulerSection& s) override {
        each([&](EngineObserver& o) { o.on_scheduler_attach(s); });
    }
    void on_scheduler_detach(const SchedulerSection& s) override {
        each([&](EngineObserver& o) { o.on_scheduler_detach(s); });
    }
    void on_custody_enter(uint32_t cpu, EnterPath path) override {
        each([&](EngineObserver& o) { o.on_custody_enter(cpu, path); });
    }
    void on_reenqueue_in_custody(uint32_t cpu) override {
        each([&](EngineObserver& o) { o.on_reenqueue_in_custody(cpu); });
    }
    void on_dequeue(uint32_t cpu, DequeueReason reason) override {
        each([&](EngineObserver& o) { o.on_dequeue(cpu, reason); });
    }
    void on_custody_duration(uint32_t cpu, uint64_t ns) override {
        each([&](EngineObserver& o) { o.on_custody_duration(cpu, ns); });
    }
    void on_finding(const Finding& f) override {
        each([&](EngineObserver& o) { o.on_finding(f); });
    }
    void on_indeterminate(uint32_t cpu, uint64_t tasks) override {
        each([&](EngineObserver& o) { o.on_indeterminate(cpu, tasks); });
    }
    void on_custody_abandoned_at_unload(uint32_t cpu, uint64_t tasks) override {
        each([&](EngineObserver& o) { o.on_custody_abandoned_at_unload(cpu, tasks); });
    }
    void on_lost_events(uint32_t cpu, uint64_t count) override {
        each([&](EngineObserver& o) { o.on_lost_events(cpu, count); });
    }
    void on_evicted(uint32_t cpu) override {
        each([&](EngineObserver& o) { o.on_evicted(cpu); });
    }
    void on_in_custody_at_end(uint32_t cpu, uint64_t tasks) override {
        each([&](EngineObserver& o) { o.on_in_custody_at_end(cpu, tasks); });
    }
    void on_tasks_in_custody(uint64_t tasks) override {
        each([&](EngineObserver& o) { o.on_tasks_in_custody(tasks); });
    }

  private:
    template <typename F> void each(F&& f) {
        for (EngineObserver* o : observers_)
            f(*o);
    }
    std::vector<EngineObserver*> observers_;
};

} // namespace scx_custody::pairing
