// The running kernel's BTF and symbol tables, for resolving hooks by
// candidate names and arguments by parameter names.
#pragma once

#include "util/result.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

struct btf;

namespace scx_custody::loader {

class KernelBtf {
  public:
    static Result<KernelBtf> load();

    // True when the kernel's BTF has a FUNC of this exact name.
    bool has_func(std::string_view name) const;
    // Index of the parameter called `param` in function `func`.
    std::optional<unsigned> param_index(std::string_view func, std::string_view param) const;
    // True when `enumerator` is a value of some enum in the kernel's BTF.
    bool has_enumerator(std::string_view enumerator) const;
    const btf* raw() const { return btf_.get(); }

  private:
    struct BtfDeleter {
        void operator()(btf* b) const;
    };
    explicit KernelBtf(std::unique_ptr<btf, BtfDeleter> b) : btf_(std::move(b)) {}
    std::unique_ptr<btf, BtfDeleter> btf_;
};

// Text symbols of the kernel (/proc/kallsyms) and the functions ftrace can
// attach to (tracefs available_filter_functions, when tracefs is mounted).
class KernelSymbols {
  public:
    static KernelSymbols load();

    // The symbol `name` or an out-of-line copy such as name.isra.0 /
    // name.constprop.0, if the kernel has one.
    std::optional<std::string> resolve(std::string_view name) const;
    // nullopt: unknown (no tracefs); otherwise whether ftrace can hook it.
    std::optional<bool> traceable(std::string_view symbol) const;

  private:
    std::unordered_set<std::string> text_;
    std::unordered_set<std::string> traceable_;
    bool have_traceable_ = false;
};

} // namespace scx_custody::loader
