#include "loader/sched_programs.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace scx_custody::loader {
namespace {

struct MemberOffsets {
    size_t data = 0; // of `data` (struct sched_ext_ops) in the map value
    size_t enqueue = 0, dequeue = 0, name = 0;
    size_t name_len = 0;
};

std::optional<size_t> member_offset(const btf* b, int type_id, const char* member) {
    const btf_type* t = btf__type_by_id(b, type_id);
    if (!t || !btf_is_composite(t))
        return std::nullopt;
    const btf_member* m = btf_members(t);
    for (unsigned i = 0; i < btf_vlen(t); i++)
        if (std::strcmp(btf__name_by_offset(b, m[i].name_off), member) == 0)
            return btf_member_bit_offset(t, i) / 8;
    return std::nullopt;
}

Result<MemberOffsets> sched_ext_ops_layout(const KernelBtf& kbtf) {
    const btf* b = kbtf.raw();
    int wrapper = btf__find_by_name_kind(b, "bpf_struct_ops_sched_ext_ops", BTF_KIND_STRUCT);
    int ops = btf__find_by_name_kind(b, "sched_ext_ops", BTF_KIND_STRUCT);
    if (wrapper <= 0 || ops <= 0)
        return Error::cannot_run("kernel BTF has no struct sched_ext_ops: no sched_ext");
    MemberOffsets off;
    auto data = member_offset(b, wrapper, "data");
    auto enq = member_offset(b, ops, "enqueue");
    auto deq = member_offset(b, ops, "dequeue");
    auto name = member_offset(b, ops, "name");
    if (!data || !enq || !deq || !name)
        return Error::cannot_run("unexpected struct sched_ext_ops layout in kernel BTF");
    off.data = *data;
    off.enqueue = *data + *enq;
    off.dequeue = *data + *deq;
    off.name = *data + *name;
    off.name_len = 128; // SCX_OPS_NAME_LEN
    return off;
}

std::optional<SchedProgram> program_at(const std::vector<unsigned char>& value, size_t offset) {
    uint64_t id = 0;
    if (offset + sizeof(id) > value.size())
        return std::nullopt;
    std::memcpy(&id, value.data() + offset, sizeof(id));
    if (id == 0)
        return std::nullopt;
    int fd = bpf_prog_get_fd_by_id(static_cast<uint32_t>(id));
    if (fd < 0)
        return std::nullopt;
    auto prog = describe_program(fd);
    if (!prog) {
        ::close(fd);
        return std::nullopt;
    }
    return std::move(prog.value());
}

} // namespace

Result<SchedProgram> describe_program(int prog_fd) {
    bpf_func_info func{};
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    info.nr_func_info = 1;
    info.func_info_rec_size = sizeof(func);
    info.func_info = reinterpret_cast<uint64_t>(&func);
    if (bpf_prog_get_info_by_fd(prog_fd, &info, &len) != 0)
        return Error::system("read BPF program info", errno);
    SchedProgram prog;
    prog.id = info.id;
    if (info.btf_id != 0 && info.nr_func_info > 0) {
        btf* b = btf__load_from_kernel_by_id(info.btf_id);
        if (b) {
            const btf_type* t = btf__type_by_id(b, func.type_id);
            if (t)
                prog.func = btf__name_by_offset(b, t->name_off);
            btf__free(b);
        }
    }
    if (prog.func.empty()) {
        return Error::cannot_run(std::string("BPF program ") + info.name +
                                 " has no BTF function info: cannot trace it");
    }
    prog.fd = UniqueFd(prog_fd); // owned only on success: the caller closes it otherwise
    return prog;
}

Result<SchedulerPrograms> find_scheduler_programs(const KernelBtf& btf, const std::string& name) {
    auto layout = sched_ext_ops_layout(btf);
    if (!layout)
        return layout.error();
    int wrapper =
        btf__find_by_name_kind(btf.raw(), "bpf_struct_ops_sched_ext_ops", BTF_KIND_STRUCT);

    std::optional<SchedulerPrograms> found;
    uint32_t id = 0;
    while (bpf_map_get_next_id(id, &id) == 0) {
        UniqueFd fd(bpf_map_get_fd_by_id(id));
        if (!fd.valid())
            continue;
        bpf_map_info info{};
        uint32_t len = sizeof(info);
        if (bpf_map_get_info_by_fd(fd.get(), &info, &len) != 0 ||
            info.type != BPF_MAP_TYPE_STRUCT_OPS ||
            info.btf_vmlinux_value_type_id != static_cast<uint32_t>(wrapper))
            continue;
        std::vector<unsigned char> value(info.value_size);
        uint32_t key = 0;
        if (bpf_map_lookup_elem(fd.get(), &key, value.data()) != 0)
            continue;
        std::string map_name(
            reinterpret_cast<const char*>(value.data() + layout->name),
            strnlen(reinterpret_cast<const char*>(value.data() + layout->name), layout->name_len));
        if (map_name != name)
            continue;
        SchedulerPrograms progs;
        progs.name = map_name;
        progs.map_id = info.id;
        progs.dequeue = program_at(value, layout->dequeue);
        progs.enqueue = program_at(value, layout->enqueue);
        found = std::move(progs); // keep the newest (highest id)
    }
    if (!found)
        return Error::cannot_run("no struct_ops map for scheduler \"" + name +
                                 "\" is visible: it may have been unloaded");
    return std::move(*found);
}

} // namespace scx_custody::loader
