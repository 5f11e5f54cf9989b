// Result<T>: a value or an Error that names the cause, the errno and the exit
// code the command should end with. Only main() turns errors into exits.
#pragma once

#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace scx_custody {

// The exit codes of every command (docs/CONTRACT.md).
enum class ExitCode : int {
    Clean = 0,        // nothing wrong
    Violations = 1,   // violations found / the scheduler was ejected with an error
    Usage = 2,        // bad command line or input file
    CannotRun = 3,    // no sched_ext, no BTF, no privilege, no scheduler...
    Inconclusive = 4, // events lost or coverage incomplete, no violation proven
};

struct Error {
    std::string message;
    ExitCode exit_code = ExitCode::CannotRun;
    int err = 0; // errno, when the cause is a failed system call

    static Error system(std::string what, int errnum, ExitCode code = ExitCode::CannotRun) {
        return Error{std::move(what) + ": " + std::strerror(errnum), code, errnum};
    }
    static Error usage(std::string what) { return Error{std::move(what), ExitCode::Usage, 0}; }
    static Error cannot_run(std::string what) {
        return Error{std::move(what), ExitCode::CannotRun, 0};
    }
};

template <typename T> class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const T& value() const& { return std::get<0>(v_); }
    T* operator->() { return &value(); }
    T& operator*() { return value(); }
    const Error& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() {
    return Ok{};
}

} // namespace scx_custody
