// AcceptWindow: which custody records the audit takes. A scheduler instance's
// records are taken only while its section is open and its programs are
// traced, and only from the moment they were traced: a record stamped
// earlier belongs to the start window, in which the instance's custody was
// not seen whole (its tasks start indeterminate instead).
#pragma once

#include <cstdint>

namespace scx_custody::consumer {

class AcceptWindow {
  public:
    // Records stamped at or after from_ns are taken.
    void open(uint64_t from_ns) {
        open_ = true;
        from_ns_ = from_ns;
    }
    // Takes again from the last open()'s moment (e.g. after a pause).
    void resume() { open_ = true; }
    // Nothing is taken until the next open() or resume().
    void close() { open_ = false; }

    bool admits(uint64_t ts_ns) const { return open_ && ts_ns >= from_ns_; }

  private:
    bool open_ = false;
    uint64_t from_ns_ = 0;
};

} // namespace scx_custody::consumer
