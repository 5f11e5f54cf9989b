#include "loader/kernel_btf.h"

#include <bpf/btf.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace scx_custody::loader {

void KernelBtf::BtfDeleter::operator()(btf* b) const {
    btf__free(b);
}

Result<KernelBtf> KernelBtf::load() {
    btf* b = btf__load_vmlinux_btf();
    if (!b)
        return Error::cannot_run("kernel has no BTF (/sys/kernel/btf/vmlinux): "
                                 "CONFIG_DEBUG_INFO_BTF is not set");
    return KernelBtf(std::unique_ptr<btf, BtfDeleter>(b));
}

bool KernelBtf::has_func(std::string_view name) const {
    return btf__find_by_name_kind(btf_.get(), std::string(name).c_str(), BTF_KIND_FUNC) > 0;
}

std::optional<unsigned> KernelBtf::param_index(std::string_view func,
                                               std::string_view param) const {
    int id = btf__find_by_name_kind(btf_.get(), std::string(func).c_str(), BTF_KIND_FUNC);
    if (id <= 0)
        return std::nullopt;
    const btf_type* fn = btf__type_by_id(btf_.get(), id);
    const btf_type* proto = btf__type_by_id(btf_.get(), fn->type);
    if (!proto || !btf_is_func_proto(proto))
        return std::nullopt;
    const btf_param* params = btf_params(proto);
    for (unsigned i = 0; i < btf_vlen(proto); i++) {
        if (param == btf__name_by_offset(btf_.get(), params[i].name_off))
            return i;
    }
    return std::nullopt;
}

bool KernelBtf::has_enumerator(std::string_view enumerator) const {
    const unsigned n = btf__type_cnt(btf_.get());
    for (unsigned id = 1; id < n; id++) {
        const btf_type* t = btf__type_by_id(btf_.get(), id);
        if (btf_is_enum(t)) {
            const struct btf_enum* e = btf_enum(t);
            for (unsigned i = 0; i < btf_vlen(t); i++)
                if (enumerator == btf__name_by_offset(btf_.get(), e[i].name_off))
                    return true;
        } else if (btf_is_enum64(t)) {
            const struct btf_enum64* e = btf_enum64(t);
            for (unsigned i = 0; i < btf_vlen(t); i++)
                if (enumerator == btf__name_by_offset(btf_.get(), e[i].name_off))
                    return true;
        }
    }
    return false;
}

KernelSymbols KernelSymbols::load() {
    KernelSymbols syms;
    std::ifstream kallsyms("/proc/kallsyms");
    std::string line;
    while (std::getline(kallsyms, line)) {
        // "ffffffff81000000 t name [module]"
        std::istringstream fields(line);
        std::string addr, type, name;
        if (fields >> addr >> type >> name && (type == "t" || type == "T"))
            syms.text_.insert(name);
    }
    for (const char* path : {"/sys/kernel/tracing/available_filter_functions",
                             "/sys/kernel/debug/tracing/available_filter_functions"}) {
        std::ifstream in(path);
        if (!in)
            continue;
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string name;
            if (fields >> name)
                syms.traceable_.insert(name);
        }
        syms.have_traceable_ = !syms.traceable_.empty();
        if (syms.have_traceable_)
            break;
    }
    return syms;
}

std::optional<std::string> KernelSymbols::resolve(std::string_view name) const {
    std::string exact(name);
    if (text_.count(exact))
        return exact;
    for (const char* suffix : {".isra.0", ".constprop.0", ".part.0", ".cold"}) {
        std::string candidate = exact + suffix;
        if (text_.count(candidate))
            return candidate;
    }
    return std::nullopt;
}

std::optional<bool> KernelSymbols::traceable(std::string_view symbol) const {
    if (!have_traceable_)
        return std::nullopt;
    return traceable_.count(std::string(symbol)) > 0;
}

} // namespace scx_custody::loader
