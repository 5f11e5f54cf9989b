// FindingLog: the daemon's violation log. Every finding is logged with what
// identifies it (kind, task, CPU, DSQ, flags, the state before), the first
// 100 in full and then one in every 1000, so a flood cannot fill the disk;
// the counts are in the metrics either way.
#pragma once

#include "pairing/observer.h"

#include <cstdint>

namespace scx_custody::live {

class FindingLog final : public pairing::EngineObserver {
  public:
    void on_finding(const pairing::Finding& finding) override;

  private:
    uint64_t seen_ = 0;
};

} // namespace scx_custody::live
