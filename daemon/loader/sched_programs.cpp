#include "loader/sched_programs.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

namespace scx_custody::loader {
namespace {

constexpr std::string_view kValuePrefix = "bpf_struct_ops_";
constexpr size_t kNameLen = 128; // SCX_OPS_NAME_LEN

// Where one sched_ext struct_ops value type keeps what we read, in bytes from
// the start of the map value.
struct OpsLayout {
    uint32_t value_type_id = 0;
    std::string ops_type;
    size_t enqueue = 0, dequeue = 0, name = 0;
    std::optional<size_t> sub_cgroup_id; // absent before sub-schedulers existed
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

std::optional<OpsLayout> layout_of(const btf* b, int ops_id, int value_id) {
    auto data = member_offset(b, value_id, "data");
    auto enq = member_offset(b, ops_id, "enqueue");
    auto deq = member_offset(b, ops_id, "dequeue");
    auto name = member_offset(b, ops_id, "name");
    if (!data || !enq || !deq || !name)
        return std::nullopt;
    OpsLayout layout;
    layout.value_type_id = static_cast<uint32_t>(value_id);
    layout.ops_type = btf__name_by_offset(b, btf__type_by_id(b, ops_id)->name_off);
    layout.enqueue = *data + *enq;
    layout.dequeue = *data + *deq;
    layout.name = *data + *name;
    if (auto sub = member_offset(b, ops_id, "sub_cgroup_id"))
        layout.sub_cgroup_id = *data + *sub;
    return layout;
}

// Every struct sched_ext_ops* with a bpf_struct_ops_<it> value wrapper.
Result<std::vector<OpsLayout>> sched_ext_layouts(const KernelBtf& kbtf) {
    const btf* b = kbtf.raw();
    std::vector<OpsLayout> layouts;
    const unsigned n = btf__type_cnt(b);
    for (unsigned id = 1; id < n; id++) {
        const btf_type* t = btf__type_by_id(b, id);
        if (!btf_is_struct(t))
            continue;
        const std::string name = btf__name_by_offset(b, t->name_off);
        if (!name.starts_with("sched_ext_ops"))
            continue;
        const int value =
            btf__find_by_name_kind(b, (std::string(kValuePrefix) + name).c_str(), BTF_KIND_STRUCT);
        if (value <= 0)
            continue;
        if (auto layout = layout_of(b, static_cast<int>(id), value))
            layouts.push_back(*layout);
        else
            return Error::cannot_run("unexpected struct " + name + " layout in kernel BTF");
    }
    if (layouts.empty())
        return Error::cannot_run("kernel BTF has no struct sched_ext_ops: no sched_ext");
    return layouts;
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

// Struct_ops maps registered through a link (a scheduler's registration).
std::set<uint32_t> linked_struct_ops_maps() {
    std::set<uint32_t> maps;
    uint32_t id = 0;
    while (bpf_link_get_next_id(id, &id) == 0) {
        UniqueFd fd(bpf_link_get_fd_by_id(id));
        bpf_link_info info{};
        uint32_t len = sizeof(info);
        if (fd.valid() && bpf_link_get_info_by_fd(fd.get(), &info, &len) == 0 &&
            info.type == BPF_LINK_TYPE_STRUCT_OPS && info.struct_ops.map_id != 0)
            maps.insert(info.struct_ops.map_id);
    }
    return maps;
}

// The instance behind one map, or nullopt when it is not a sched_ext one.
std::optional<SchedulerPrograms> read_instance(int map_fd, const std::vector<OpsLayout>& layouts) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_map_get_info_by_fd(map_fd, &info, &len) != 0 || info.type != BPF_MAP_TYPE_STRUCT_OPS)
        return std::nullopt;
    const OpsLayout* layout = nullptr;
    for (const auto& l : layouts)
        if (l.value_type_id == info.btf_vmlinux_value_type_id)
            layout = &l;
    if (!layout)
        return std::nullopt;
    std::vector<unsigned char> value(info.value_size);
    uint32_t key = 0;
    if (layout->name + kNameLen > value.size() ||
        bpf_map_lookup_elem(map_fd, &key, value.data()) != 0)
        return std::nullopt;
    const auto* name = reinterpret_cast<const char*>(value.data() + layout->name);
    SchedulerPrograms progs;
    progs.name.assign(name, strnlen(name, kNameLen));
    progs.map_id = info.id;
    progs.ops_type = layout->ops_type;
    if (layout->sub_cgroup_id && *layout->sub_cgroup_id + 8 <= value.size())
        std::memcpy(&progs.sub_cgroup_id, value.data() + *layout->sub_cgroup_id, 8);
    progs.dequeue = program_at(value, layout->dequeue);
    progs.enqueue = program_at(value, layout->enqueue);
    return progs;
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

std::vector<uint32_t> sched_ext_value_type_ids(const KernelBtf& btf) {
    std::vector<uint32_t> ids;
    if (auto layouts = sched_ext_layouts(btf))
        for (const auto& layout : *layouts)
            ids.push_back(layout.value_type_id);
    return ids;
}

Result<SchedulerPrograms> scheduler_by_map_id(const KernelBtf& btf, uint32_t map_id) {
    auto layouts = sched_ext_layouts(btf);
    if (!layouts)
        return layouts.error();
    UniqueFd fd(bpf_map_get_fd_by_id(map_id));
    if (!fd.valid())
        return Error::system("open struct_ops map " + std::to_string(map_id), errno);
    auto progs = read_instance(fd.get(), *layouts);
    if (!progs)
        return Error::cannot_run("struct_ops map " + std::to_string(map_id) +
                                 " is not a readable sched_ext scheduler");
    progs->linked = linked_struct_ops_maps().contains(map_id);
    return std::move(*progs);
}

Result<std::vector<SchedulerPrograms>> sched_ext_struct_ops_maps(const KernelBtf& btf) {
    auto layouts = sched_ext_layouts(btf);
    if (!layouts)
        return layouts.error();
    const std::set<uint32_t> linked = linked_struct_ops_maps();
    std::vector<SchedulerPrograms> found;
    uint32_t id = 0;
    while (bpf_map_get_next_id(id, &id) == 0) {
        UniqueFd fd(bpf_map_get_fd_by_id(id));
        if (!fd.valid())
            continue;
        if (auto progs = read_instance(fd.get(), *layouts)) {
            progs->linked = linked.contains(progs->map_id);
            found.push_back(std::move(*progs));
        }
    }
    return found;
}

Result<SchedulerPrograms> find_scheduler_programs(const KernelBtf& btf, const std::string& name) {
    auto maps = sched_ext_struct_ops_maps(btf);
    if (!maps)
        return maps.error();
    std::optional<SchedulerPrograms> found;
    for (auto& progs : *maps) {
        // The newest (highest id) linked root map of that name; an unlinked
        // one only when no linked one exists (a kernel without link info).
        if (progs.name != name || !progs.is_root())
            continue;
        if (!found || progs.linked || !found->linked)
            found = std::move(progs);
    }
    if (!found)
        return Error::cannot_run("no struct_ops map of a sched_ext type for scheduler \"" + name +
                                 "\" is visible: it may have been unloaded");
    return std::move(*found);
}

} // namespace scx_custody::loader
