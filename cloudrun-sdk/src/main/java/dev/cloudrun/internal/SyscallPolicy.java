package dev.cloudrun.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.CloudRunException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which system calls a sandboxed program may make, written once for every backend: the local
 * backend assembles it into the BPF program bubblewrap loads, the Docker backend renders it as the
 * seccomp profile of its containers.
 *
 * <p>Refused with {@code EPERM}: what ordinary programs never need and what widens the kernel's
 * attack surface (new namespaces, the keyring, BPF, perf events, {@code userfaultfd},
 * {@code io_uring}, mounting, modules and kexec, clock changes, swap, reboot, handle-based opens),
 * and tracing other processes ({@code ptrace}, {@code process_vm_readv}/{@code writev},
 * {@code kcmp}, {@code pidfd_getfd}, {@code process_madvise}): pid 1 of a sandbox (bubblewrap's
 * init, Docker's {@code docker-init}) runs as the program's user, and a program that could trace it
 * could stop it or make it run any system call. {@code clone} is allowed without namespace flags
 * only; {@code clone3} answers {@code ENOSYS}, so libc falls back to {@code clone}, whose flags a
 * filter can see.
 */
public final class SyscallPolicy {
    /** errno for refused calls. */
    public static final int EPERM = 1;
    /** errno for calls the policy does not know, so that libc falls back to an older call. */
    public static final int ENOSYS = 38;
    /** CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
    public static final int CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
            | 0x20000000 | 0x40000000;

    /** Names of the refused calls. */
    public static final List<String> REFUSED = List.of(
            "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise",
            "syslog", "uselib", "ustat", "sysfs", "vhangup", "_sysctl", "lookup_dcookie", "quotactl", "acct",
            "pivot_root", "mount", "umount2", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
            "mount_setattr", "swapon", "swapoff", "reboot", "iopl", "ioperm",
            "create_module", "init_module", "finit_module", "delete_module", "get_kernel_syms", "query_module",
            "kexec_load", "kexec_file_load", "adjtimex", "clock_adjtime", "clock_settime", "settimeofday",
            "add_key", "request_key", "keyctl", "unshare", "setns", "perf_event_open", "bpf", "userfaultfd",
            "io_uring_setup", "io_uring_enter", "io_uring_register", "name_to_handle_at", "open_by_handle_at");

    private static final Map<String, Integer> X86_64 = load("syscalls-x86_64.txt");

    private SyscallPolicy() { }

    /** @return every x86_64 system call the policy knows (Linux 6.1's table), name to number */
    public static Map<String, Integer> x8664Table() {
        return X86_64;
    }

    /** @return the x86_64 numbers of the refused calls */
    public static List<Integer> refusedX8664() {
        return REFUSED.stream().map(SyscallPolicy::x8664).sorted().toList();
    }

    /**
     * @param name a system call's name
     * @return its x86_64 number
     */
    public static int x8664(String name) {
        Integer number = X86_64.get(name);
        if (number == null) {
            throw new IllegalArgumentException("no x86_64 system call named " + name);
        }
        return number;
    }

    /**
     * The policy as a Docker (OCI) seccomp profile for x86_64, an allow-list: every call of the
     * table but the refused ones (those answer {@code EPERM}), {@code clone} only without namespace
     * flags, {@code clone3} answers {@code ENOSYS}, and so does anything else (a call newer than the
     * table) where the daemon honours {@code defaultErrnoRet} ({@code EPERM} where it does not).
     *
     * @return the profile's JSON, for {@code --security-opt seccomp=...}
     */
    public static String dockerProfileJson() {
        ObjectNode profile = new ObjectMapper().createObjectNode();
        profile.put("defaultAction", "SCMP_ACT_ERRNO");
        profile.put("defaultErrnoRet", ENOSYS);
        profile.putArray("architectures").add("SCMP_ARCH_X86_64");
        ArrayNode rules = profile.putArray("syscalls");
        ObjectNode allowed = rules.addObject();
        ArrayNode names = allowed.putArray("names");
        X86_64.keySet().stream().filter(name -> !REFUSED.contains(name) && !name.equals("clone") && !name.equals("clone3"))
                .forEach(names::add);
        allowed.put("action", "SCMP_ACT_ALLOW");
        ObjectNode clone = rules.addObject();
        clone.putArray("names").add("clone");
        clone.put("action", "SCMP_ACT_ALLOW");
        ObjectNode withoutNamespaces = clone.putArray("args").addObject();
        withoutNamespaces.put("index", 0);
        withoutNamespaces.put("value", CLONE_NAMESPACE_FLAGS);
        withoutNamespaces.put("valueTwo", 0);
        withoutNamespaces.put("op", "SCMP_CMP_MASKED_EQ");
        // clone3 hides its flags in memory a filter cannot read: ENOSYS makes libc fall back to clone.
        // Said explicitly: a daemon that ignores defaultErrnoRet (20.10 does) answers EPERM, on which
        // glibc does not fall back, and no thread could be created.
        ObjectNode clone3 = rules.addObject();
        clone3.putArray("names").add("clone3");
        clone3.put("action", "SCMP_ACT_ERRNO");
        clone3.put("errnoRet", ENOSYS);
        addRefusals(rules);
        return profile.toString();
    }

    /**
     * The policy as a seccomp profile for containers under gVisor, a deny-list: the refused calls
     * and {@code clone} with namespace flags answer {@code EPERM}, everything else goes to gVisor's
     * own kernel, which implements a subset of Linux and answers the rest itself ({@code clone3}
     * among them: runsc turns a profile's {@code ENOSYS} into {@code EPERM}, on which glibc does not
     * fall back to {@code clone}).
     *
     * @return the profile's JSON, for {@code --security-opt seccomp=...}
     */
    public static String gvisorProfileJson() {
        ObjectNode profile = new ObjectMapper().createObjectNode();
        profile.put("defaultAction", "SCMP_ACT_ALLOW");
        profile.putArray("architectures").add("SCMP_ARCH_X86_64");
        addRefusals(profile.putArray("syscalls"));
        return profile.toString();
    }

    /**
     * Adds the rules that refuse, with {@code EPERM}, the refused calls, {@code clone} with namespace
     * flags, and the creation of device nodes ({@code mknod}/{@code mknodat} of a character or block
     * device; FIFOs and sockets stay allowed). Without {@code CAP_MKNOD} the kernel refuses device
     * nodes anyway; gVisor's kernel does not, so the profile says it too.
     */
    private static void addRefusals(ArrayNode rules) {
        ObjectNode refused = rules.addObject();
        ArrayNode refusedNames = refused.putArray("names");
        REFUSED.forEach(refusedNames::add);
        refused.put("action", "SCMP_ACT_ERRNO");
        refused.put("errnoRet", EPERM);
        // clone with a namespace flag: EPERM, as the local filter answers, not the default ENOSYS.
        for (int bit = 0; bit < 32; bit++) {
            int flag = 1 << bit;
            if ((CLONE_NAMESPACE_FLAGS & flag) != 0) {
                ObjectNode namespaced = rules.addObject();
                namespaced.putArray("names").add("clone");
                namespaced.put("action", "SCMP_ACT_ERRNO");
                namespaced.put("errnoRet", EPERM);
                ObjectNode arg = namespaced.putArray("args").addObject();
                arg.put("index", 0);
                arg.put("value", flag);
                arg.put("valueTwo", flag);
                arg.put("op", "SCMP_CMP_MASKED_EQ");
            }
        }
        int fileType = 0170000;
        for (int device : new int[] {0020000, 0060000}) {
            for (String call : List.of("mknod", "mknodat")) {
                ObjectNode rule = rules.addObject();
                rule.putArray("names").add(call);
                rule.put("action", "SCMP_ACT_ERRNO");
                rule.put("errnoRet", EPERM);
                ObjectNode mode = rule.putArray("args").addObject();
                mode.put("index", call.equals("mknod") ? 1 : 2);
                mode.put("value", fileType);
                mode.put("valueTwo", device);
                mode.put("op", "SCMP_CMP_MASKED_EQ");
            }
        }
    }

    private static Map<String, Integer> load(String resource) {
        Map<String, Integer> table = new LinkedHashMap<>();
        try (InputStream in = SyscallPolicy.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new CloudRunException("the system call table " + resource + " is missing from cloudrun-sdk's jar");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            TreeMap<Integer, String> byNumber = new TreeMap<>();
            while ((line = reader.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.trim().split("\\s+");
                byNumber.put(Integer.parseInt(parts[1]), parts[0]);
            }
            byNumber.forEach((number, name) -> table.put(name, number));
        } catch (IOException | RuntimeException e) {
            throw new CloudRunException("cannot read the system call table " + resource + ": " + e, e);
        }
        for (String name : REFUSED) {
            if (!table.containsKey(name)) {
                throw new CloudRunException("the system call table lacks the refused call " + name);
            }
        }
        return Collections.unmodifiableMap(table);
    }
}
