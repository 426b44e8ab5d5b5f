package dev.cloudrun.local;

import dev.cloudrun.internal.SyscallPolicy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The seccomp filter of local sandboxes: {@link SyscallPolicy} (written once for every backend) as
 * the classic BPF program bubblewrap's {@code --seccomp} loads. Refused calls answer {@code EPERM},
 * {@code clone} with namespace flags too, {@code clone3} {@code ENOSYS}; another architecture than
 * the host's (the x32 ABI too) is refused outright. Tracing matters most here: bubblewrap's init,
 * pid 1 of every sandbox, runs as the sandbox's user but outside this filter, so a program that
 * could trace it could make it run any system call (and the attach alone stops it, hanging the run).
 *
 * <p>Only x86_64 is described; elsewhere there is no filter and the backend says so.
 */
final class SeccompFilter {
    private static final int AUDIT_ARCH_X86_64 = 0xC000003E;
    private static final int X32_SYSCALL_BIT = 0x40000000;

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
        program.jumpIfEqual(SyscallPolicy.x8664("clone3"), "enosys", null);
        program.jumpIfEqual(SyscallPolicy.x8664("clone"), "clone", null);
        SyscallPolicy.refusedX8664().forEach(number -> program.jumpIfEqual(number, "eperm", null));
        program.ret(RET_ALLOW);
        program.label("clone");
        program.load(OFFSET_ARG0_LOW);
        program.jumpIfAnyBit(SyscallPolicy.CLONE_NAMESPACE_FLAGS, "eperm", null);
        program.ret(RET_ALLOW);
        program.label("eperm");
        program.ret(RET_ERRNO | SyscallPolicy.EPERM);
        program.label("enosys");
        program.ret(RET_ERRNO | SyscallPolicy.ENOSYS);
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
