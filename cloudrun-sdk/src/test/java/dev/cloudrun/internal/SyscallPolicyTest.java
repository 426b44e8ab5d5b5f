package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one system call policy, as the Docker profile renders it (the local BPF filter is tested by running it). */
class SyscallPolicyTest {
    @Test
    void theTableKnowsEveryRefusedCallAndTheNumbersOfTheKernel() {
        assertThat(SyscallPolicy.x8664("read")).isZero();
        assertThat(SyscallPolicy.x8664("ptrace")).isEqualTo(101);
        assertThat(SyscallPolicy.x8664("clone3")).isEqualTo(435);
        assertThat(SyscallPolicy.refusedX8664()).hasSameSizeAs(SyscallPolicy.REFUSED).doesNotHaveDuplicates();
        assertThat(SyscallPolicy.x8664Table()).hasSizeGreaterThan(350);
    }

    @Test
    void theDockerProfileAllowsEveryKnownCallButTheRefusedOnesAndCloneOnlyWithoutNamespaces() throws Exception {
        JsonNode profile = new ObjectMapper().readTree(SyscallPolicy.dockerProfileJson());
        assertThat(profile.path("defaultAction").asText()).isEqualTo("SCMP_ACT_ERRNO");
        assertThat(profile.path("defaultErrnoRet").asInt()).isEqualTo(SyscallPolicy.ENOSYS);
        List<String> allowed = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (JsonNode rule : profile.path("syscalls")) {
            List<String> names = new ArrayList<>();
            rule.path("names").forEach(name -> names.add(name.asText()));
            if (rule.path("action").asText().equals("SCMP_ACT_ALLOW") && rule.path("args").isMissingNode()) {
                allowed.addAll(names);
            } else if (names.equals(List.of("clone3"))) {
                assertThat(rule.path("errnoRet").asInt()).as("clone3 must say ENOSYS, or libc makes no threads")
                        .isEqualTo(SyscallPolicy.ENOSYS);
            } else if (rule.path("action").asText().equals("SCMP_ACT_ERRNO") && rule.path("args").isMissingNode()) {
                assertThat(rule.path("errnoRet").asInt()).isEqualTo(SyscallPolicy.EPERM);
                refused.addAll(names);
            } else if (names.equals(List.of("mknod")) || names.equals(List.of("mknodat"))) {
                assertThat(rule.path("action").asText()).as("device nodes").isEqualTo("SCMP_ACT_ERRNO");
            } else {
                assertThat(names).containsExactly("clone");
                assertThat(rule.path("args").get(0).path("op").asText()).isEqualTo("SCMP_CMP_MASKED_EQ");
            }
        }
        assertThat(allowed).contains("read", "write", "execve", "futex", "rseq", "close_range")
                .doesNotContainAnyElementsOf(SyscallPolicy.REFUSED).doesNotContain("clone", "clone3");
        assertThat(refused).containsExactlyInAnyOrderElementsOf(SyscallPolicy.REFUSED);
    }

    @Test
    void theGvisorProfileRefusesTheSameCallsAndLeavesTheRestToGvisor() throws Exception {
        JsonNode profile = new ObjectMapper().readTree(SyscallPolicy.gvisorProfileJson());
        assertThat(profile.path("defaultAction").asText()).isEqualTo("SCMP_ACT_ALLOW");
        List<String> refused = new ArrayList<>();
        for (JsonNode rule : profile.path("syscalls")) {
            assertThat(rule.path("action").asText()).isEqualTo("SCMP_ACT_ERRNO");
            assertThat(rule.path("errnoRet").asInt()).isEqualTo(SyscallPolicy.EPERM);
            rule.path("names").forEach(name -> refused.add(name.asText()));
        }
        assertThat(refused).containsAll(SyscallPolicy.REFUSED).contains("clone", "mknod", "mknodat")
                .doesNotContain("clone3");
    }
}
