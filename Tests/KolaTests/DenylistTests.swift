import Foundation
@testable import Kola
import TestSupport
import Testing

@Suite struct DenylistTests {
    /// 2026-06-15, noon UTC.
    private let today = Date(timeIntervalSince1970: 1_781_524_800)

    private func load(_ yaml: String) throws -> (Denylist, file: String, fixture: KolaFixtureDirectory) {
        let fixture = try KolaFixtureDirectory()
        let file = try fixture.write("kola-denylist.yaml", yaml)
        return (try Denylist.load(file, today: today), file, fixture)
    }

    @Test func globsMatchAsKolasDo() {
        #expect(TestNamePattern.matches("ext.config.*", "ext.config.files.license"))
        #expect(TestNamePattern.matches("ext.config.?ot", "ext.config.rot"))
        #expect(TestNamePattern.matches("ext.[ab]*", "ext.b"))
        #expect(!TestNamePattern.matches("ext.[ab]*", "ext.c"))
        #expect(!TestNamePattern.matches("ext.config", "ext.config.files"))
        #expect(!TestNamePattern.matches("basic*", "basic/TestNetworkScripts"))
    }

    @Test func aMatchingEntrySkipsWithItsTracker() throws {
        let (denylist, _, _) = try load("""
            # Known breakage
            - pattern: ext.config.networking.*
              tracker: https://tracker/123
            - pattern: coreos.boot-mirror
            """)
        #expect(denylist.reason(for: "ext.config.networking.nm") == "denylisted: https://tracker/123")
        #expect(denylist.reason(for: "coreos.boot-mirror") == "denylisted: pattern 'coreos.boot-mirror'")
        #expect(denylist.reason(for: "ext.config.files.license") == nil)
        #expect(denylist.warning(for: "ext.config.networking.nm") == nil)
    }

    @Test func aSnoozeSkipsOnlyUntilItsDate() throws {
        let (denylist, _, _) = try load("""
            - pattern: ext.future
              tracker: https://tracker/1
              snooze: 2026-07-01
            - pattern: ext.past
              tracker: https://tracker/2
              snooze: "2026-06-01"
            - pattern: ext.today
              snooze: 2026-06-15
            """)
        #expect(denylist.reason(for: "ext.future") == "denylisted (snoozed until 2026-07-01): https://tracker/1")
        #expect(denylist.reason(for: "ext.past") == nil)
        // kola: a snooze ends at the start of its date (UTC).
        #expect(denylist.reason(for: "ext.today") == nil)
        #expect(denylist.notes.contains("snooze for 'ext.past' expired on 2026-06-01"))
    }

    @Test func warnRunsTheTestAndTurnsFailuresIntoWarnings() throws {
        let (denylist, _, _) = try load("""
            - pattern: ext.flaky
              tracker: https://tracker/7
              warn: true
            - pattern: ext.snoozed-then-warn
              snooze: 2026-01-01
              warn: yes
            - pattern: ext.snoozed-warn
              snooze: 2027-01-01
              warn: true
            """)
        #expect(denylist.reason(for: "ext.flaky") == nil)
        #expect(denylist.warning(for: "ext.flaky") == "denylisted with warn: https://tracker/7")
        #expect(denylist.reason(for: "ext.snoozed-then-warn") == nil)
        #expect(denylist.warning(for: "ext.snoozed-then-warn") != nil)
        #expect(denylist.reason(for: "ext.snoozed-warn") != nil)
        #expect(denylist.warning(for: "ext.snoozed-warn") == nil)
    }

    @Test func scopingKeysAreAcceptedAndNoted() throws {
        let (denylist, _, _) = try load("""
            - pattern: ext.scoped
              streams: [rawhide]
              arches:
                - s390x
              osversion: [rhel-9.4]
            - pattern: skip-console-warnings
            """)
        #expect(denylist.reason(for: "ext.scoped") != nil)
        #expect(denylist.reason(for: "skip-console-warnings") == nil)
        #expect(denylist.notes.count == 4)
        #expect(denylist.notes.contains { $0.contains("'streams'") })
    }

    @Test func anEmptyFileDeniesNothing() throws {
        let (denylist, _, _) = try load("# nothing denied\n")
        #expect(denylist.skipping.isEmpty && denylist.warning.isEmpty)
    }

    @Test(arguments: [
        ("- pattern: [unclosed\n", "invalid YAML"),
        ("pattern: ext.x\n", "a denylist must be a list of entries"),
        ("- tracker: https://tracker/1\n", "entry 1: 'pattern' is missing"),
        ("- pattern: a\n- pattern: b\n  snooze: 2026-02-30\n", "entry 2: 'snooze' must be a date (YYYY-MM-DD), not '2026-02-30'"),
        ("- pattern: a\n  warn: maybe\n", "entry 1: 'warn' must be a boolean"),
        ("- pattern: a\n  streams: rawhide\n", "entry 1: 'streams' must be a list of strings"),
    ])
    func aMalformedFileIsAnErrorNamingTheFile(yaml: String, message: String) throws {
        let fixture = try KolaFixtureDirectory()
        let file = try fixture.write("kola-denylist.yaml", yaml)
        let error = try #require(throws: KolaFileError.self) { try Denylist.load(file, today: today) }
        #expect(error.file == file)
        #expect(error.message.hasPrefix(message))
    }
}
