package dev.cloudrun.local;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The seccomp filter of local sandboxes, as the classic BPF program bubblewrap's {@code --seccomp}
 * loads. Like Docker's default profile it refuses (with {@code EPERM}) what ordinary programs never
 * need and what widens the kernel's attack surface: new namespaces ({@code unshare}, {@code setns},
 * {@code clone} with namespace flags), the kernel keyring, BPF, perf events, {@code userfaultfd},
 * {@code io_uring}, mounting, kernel modules and kexec, clock changes, swap, reboot, handle-based
 * opens ({@code open_by_handle_at}, the "shocker" escape), and what Docker allows only with
 * {@code CAP_SYS_PTRACE}: {@code ptrace}, {@code process_vm_readv}/{@code process_vm_writev},
 * {@code kcmp}, {@code pidfd_getfd}, {@code process_madvise}. Those matter most here: bubblewrap's
 * init, pid 1 of every sandbox, runs as the sandbox's user but outside this filter, so a program
 * that could trace it could make it run any system call (and the attach alone stops it, hanging
 * the run). Language runtimes never trace; debuggers ({@code gdb}, {@code strace}) do not work.
 * {@code clone3} gets {@code ENOSYS}, so
 * libc falls back to {@code clone}, whose flags the filter can see. Another architecture than the
 * host's (the x32 ABI too) is refused outright.
 *
 * <p>Only x86_64 is described; elsewhere there is no filter and the backend says so.
 */
final class SeccompFilter {
    private static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    private static final int X32_SYSCALL_BIT = 0x40000000;
    private static final int EPERM = 1;
    private static final int ENOSYS = 38;

    private static final int RET_ALLOW = 0x7FFF0000;
    private static final int RET_ERRNO = 0x00050000;
    private static final int RET_KILL_PROCESS = 0x80000000;

    private static final short LD_W_ABS = 0x20;
    private static final short JEQ_K = 0x15;
    private static final short JGE_K = 0x35;
    private static final short JSET_K = 0x45;
    private static final short RET_K = 0x06;

    private static final int OFFSET_NR = 0;
    private static final int OFFSET_ARCH = 4;
    private static final int OFFSET_ARG0_LOW = 16;

    /** CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
    private static final int CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
            | 0x20000000 | 0x40000000;

    private static final int SYS_CLONE = 56;
    private static final int SYS_CLONE3 = 435;

    /** x86_64 numbers of the refused calls. */
    private static final Map<String, Integer> REFUSED_X86_64 = Map.ofEntries(
            Map.entry("ptrace", 101), Map.entry("syslog", 103), Map.entry("uselib", 134), Map.entry("ustat", 136), Map.entry("sysfs", 139),
            Map.entry("vhangup", 153), Map.entry("pivot_root", 155), Map.entry("_sysctl", 156),
            Map.entry("adjtimex", 159), Map.entry("acct", 163), Map.entry("settimeofday", 164),
            Map.entry("mount", 165), Map.entry("umount2", 166), Map.entry("swapon", 167), Map.entry("swapoff", 168),
            Map.entry("reboot", 169), Map.entry("iopl", 172), Map.entry("ioperm", 173), Map.entry("create_module", 174),
            Map.entry("init_module", 175), Map.entry("delete_module", 176), Map.entry("get_kernel_syms", 177),
            Map.entry("query_module", 178), Map.entry("quotactl", 179), Map.entry("lookup_dcookie", 212),
            Map.entry("clock_settime", 227), Map.entry("kexec_load", 246), Map.entry("add_key", 248),
            Map.entry("request_key", 249), Map.entry("keyctl", 250), Map.entry("unshare", 272),
            Map.entry("perf_event_open", 298), Map.entry("name_to_handle_at", 303), Map.entry("open_by_handle_at", 304),
            Map.entry("clock_adjtime", 305), Map.entry("setns", 308),
            Map.entry("process_vm_readv", 310), Map.entry("process_vm_writev", 311), Map.entry("kcmp", 312), Map.entry("finit_module", 313),
            Map.entry("kexec_file_load", 320), Map.entry("bpf", 321), Map.entry("userfaultfd", 323),
            Map.entry("io_uring_setup", 425), Map.entry("io_uring_enter", 426), Map.entry("io_uring_register", 427),
            Map.entry("open_tree", 428), Map.entry("move_mount", 429), Map.entry("fsopen", 430),
            Map.entry("fsconfig", 431), Map.entry("fsmount", 432), Map.entry("fspick", 433),
            Map.entry("pidfd_getfd", 438), Map.entry("process_madvise", 440), Map.entry("mount_setattr", 442));

    private SeccompFilter() { }

    /** @return the filter for this machine's architecture, empty where none is described */
    static Optional<byte[]> forThisMachine() {
        String arch = System.getProperty("os.arch");
        if ("amd64".equals(arch) || "x86_64".equals(arch)) {
            return Optional.of(x8664());
        }
        return Optional.empty();
    }

    /** @return the x86_64 program, ready for {@code bwrap --seccomp} */
    static byte[] x8664() {
        Program program = new Program();
        program.load(OFFSET_ARCH);
        program.jumpIfEqual(AUDIT_ARCH_X86_64, "syscall", null);
        program.ret(RET_KILL_PROCESS);
        program.label("syscall");
        program.load(OFFSET_NR);
        program.jumpIfAtLeast(X32_SYSCALL_BIT, "eperm", null);
        program.jumpIfEqual(SYS_CLONE3, "enosys", null);
        program.jumpIfEqual(SYS_CLONE, "clone", null);
        REFUSED_X86_64.values().stream().sorted().forEach(number -> program.jumpIfEqual(number, "eperm", null));
        program.ret(RET_ALLOW);
        program.label("clone");
        program.load(OFFSET_ARG0_LOW);
        program.jumpIfAnyBit(CLONE_NAMESPACES, "eperm", null);
        program.ret(RET_ALLOW);
        program.label("eperm");
        program.ret(RET_ERRNO | EPERM);
        program.label("enosys");
        program.ret(RET_ERRNO | ENOSYS);
        return program.assemble();
    }

    /** A tiny assembler: instructions with jumps to labels, resolved to BPF's relative offsets. */
    private static final class Program {
        private record Instruction(short code, String jumpTrue, String jumpFalse, int k) { }

        private final List<Instruction> instructions = new ArrayList<>();
        private final Map<String, Integer> labels = new java.util.HashMap<>();

        void load(int offset) {
            instructions.add(new Instruction(LD_W_ABS, null, null, offset));
        }

        void jumpIfEqual(int value, String whenTrue, String whenFalse) {
            instructions.add(new Instruction(JEQ_K, whenTrue, whenFalse, value));
        }

        void jumpIfAtLeast(int value, String whenTrue, String whenFalse) {
            instructions.add(new Instruction(JGE_K, whenTrue, whenFalse, value));
        }

        void jumpIfAnyBit(int mask, String whenTrue, String whenFalse) {
            instructions.add(new Instruction(JSET_K, whenTrue, whenFalse, mask));
        }

        void ret(int value) {
            instructions.add(new Instruction(RET_K, null, null, value));
        }

        void label(String name) {
            labels.put(name, instructions.size());
        }

        byte[] assemble() {
            ByteBuffer out = ByteBuffer.allocate(instructions.size() * 8).order(ByteOrder.nativeOrder());
            for (int pc = 0; pc < instructions.size(); pc++) {
                Instruction instruction = instructions.get(pc);
                out.putShort(instruction.code());
                out.put(offset(pc, instruction.jumpTrue()));
                out.put(offset(pc, instruction.jumpFalse()));
                out.putInt(instruction.k());
            }
            return out.array();
        }

        /** A jump's target as BPF counts it: instructions to skip after this one (0 = fall through). */
        private byte offset(int pc, String label) {
            if (label == null) {
                return 0;
            }
            int skip = labels.get(label) - pc - 1;
            if (skip < 0 || skip > 255) {
                throw new IllegalStateException("jump to " + label + " out of range: " + skip);
            }
            return (byte) skip;
        }
    }
}
