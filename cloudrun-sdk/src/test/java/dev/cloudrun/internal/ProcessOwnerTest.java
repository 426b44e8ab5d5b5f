package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcessOwnerTest {

    @Test
    void thisJvmIsAliveAndNotGone() {
        assertThat(ProcessOwner.isAlive(ProcessHandle.current().pid())).isTrue();
        assertThat(ProcessOwner.isGone(ProcessOwner.label(ProcessHandle.current()))).isFalse();
    }

    @Test
    void anEndedProcessIsGone() throws Exception {
        Process child = new ProcessBuilder("true").start();
        String label = ProcessOwner.label(child.toHandle());
        child.waitFor();

        assertThat(ProcessOwner.isAlive(child.pid())).isFalse();
        assertThat(ProcessOwner.isGone(label)).isTrue();
    }

    @Test
    void aReusedPidIsGoneWhenTheStartTimeDiffers() {
        String reused = ProcessOwner.label(ProcessHandle.current()).replaceFirst("/\\d+$", "/1");

        assertThat(ProcessOwner.isGone(reused)).isTrue();
    }

    @Test
    void labelsOfOtherHostsOrMalformedOnesAreNeverGone() {
        assertThat(ProcessOwner.isGone("elsewhere/2147483646/1")).isFalse();
        assertThat(ProcessOwner.isGone(ProcessOwner.hostName() + "/not-a-pid/1")).isFalse();
        assertThat(ProcessOwner.isGone("garbage")).isFalse();
        assertThat(ProcessOwner.isGone(null)).isFalse();
    }
}
