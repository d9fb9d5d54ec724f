import Machine
import Testing

/// Console checks on real console text: lines end in CR LF on a serial console.
@Suite struct ConsoleCheckTests {
    @Test func panicsAndEmergencyShellsAreFoundLineByLine() {
        let console = "[    0.000000] Linux version 6.1.0\r\n"
            + "[    5.123456] Kernel panic - not syncing: VFS: Unable to mount root fs\r\n"
            + "You are in emergency mode. After logging in, type \"journalctl -xb\"\r\n"
            + "[  OK  ] Reached target Basic System.\r\n"
        let problems = ConsoleCheck.problems(in: console)
        #expect(problems.map(\.kind) == ["kernel panic", "emergency shell"])
        #expect(problems.first?.line == "[    5.123456] Kernel panic - not syncing: VFS: Unable to mount root fs")
    }

    @Test func aCleanBootHasNoProblems() {
        let console = "[  OK  ] Started qemu-guest-agent.service\r\n[  OK  ] Reached target Multi-User System.\r\n"
        #expect(ConsoleCheck.problems(in: console).isEmpty)
    }

    @Test func failedUnitsAreReported() {
        let console = "[\u{1B}[0;1;31mFAILED\u{1B}[0m] Failed to start \u{1B}[0;1;39mfoo.service\u{1B}[0m - Foo.\r\n"
        #expect(ConsoleCheck.problems(in: console).map(\.kind) == ["failed unit"])
    }

    /// While harness waits for the guest, a failed unit is no reason to stop waiting (the
    /// guest comes up, and the unit's journal is quoted then); a panic is.
    @Test func onlyWhatStopsABootStopsTheWait() {
        let console = "[FAILED] Failed to start foo.service - Foo.\r\n[   9.1] Kernel panic - not syncing: Attempted to kill init!\r\n"
        #expect(ConsoleCheck.problems(in: console, stoppingTheBoot: true).map(\.kind) == ["kernel panic"])
        #expect(ConsoleCheck.problems(in: console).map(\.kind) == ["failed unit", "kernel panic"])
    }
}
