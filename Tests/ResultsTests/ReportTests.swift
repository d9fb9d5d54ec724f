import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Results
import Testing

/// The report writers on one run: a passed test, a failed one, a skipped one and a flaky one.
@Suite struct ReportTests {
    static let failure = "touch /usr/x succeeded: <expected> EROFS & \"read-only\"\nexit status 0, stderr empty"
    static let console = "[    5.1] \u{1B}[0;1;31mKernel panic\u{1B}[0m - not syncing: <VFS>\u{07}\r\n[    5.2] ---[ end trace ]---\r\n"

    static let run = RunResult(
        startedAt: Date(timeIntervalSince1970: 1_700_000_000), duration: 400, image: "images/default.qcow2",
        commit: "3f2a9c", parallel: 2,
        tests: [
            TestResult(
                name: "upgrade-rollback", kind: "scenario", status: .passed,
                startedAt: Date(timeIntervalSince1970: 1_700_000_000), duration: 120,
                steps: [
                    .init(title: "compose next", start: 20, duration: 20, passed: true),
                    .init(title: "run: treectl upgrade", start: 40, duration: 30, passed: true),
                    .init(title: "reboot", start: 70, duration: 10, passed: true),
                    .init(title: "check: booted next", start: 80, duration: 40, passed: true),
                ],
                boots: [.init(kind: .boot, start: 0, duration: 20, profile: Self.profile), .init(kind: .reboot, start: 70, duration: 10)],
                artifactsDirectory: "tests/upgrade-rollback"),
            TestResult(
                name: "ext.kola-like.read-only-usr", kind: "external", status: .failed,
                startedAt: Date(timeIntervalSince1970: 1_700_000_120), duration: 45.25,
                steps: [
                    .init(title: "run: touch /usr/x", start: 15, duration: 30.25, passed: false, failure: "exit status 0"),
                ],
                boots: [.init(kind: .boot, start: 0, duration: 15)],
                failure: failure, consoleExcerpt: console, attempts: 2,
                artifactsDirectory: "tests/ext.kola-like.read-only-usr"),
            TestResult(
                name: "power-cut-during-deploy", kind: "scenario", status: .skipped,
                startedAt: Date(timeIntervalSince1970: 1_700_000_200), duration: 0,
                skipReason: "denylisted: needs a virtual TPM", artifactsDirectory: "tests/power-cut-during-deploy"),
            TestResult(
                name: "rebase-remote", kind: "scenario", status: .passed,
                startedAt: Date(timeIntervalSince1970: 1_700_000_200), duration: 90,
                steps: [.init(title: "rebase", start: 30, duration: 60, passed: true)],
                boots: [.init(kind: .powerOn, start: 0, duration: 30)],
                attempts: 2, flaky: true, artifactsDirectory: "tests/rebase-remote"),
        ])

    static let profile = BootProfile.parse("initrd 2000000\nuserspace 8000000\nunit qemu-guest-agent.service 12000000\n",
                                           clock: BootClock(poweredOn: Date(timeIntervalSince1970: 0),
                                                            kernelSeen: Date(timeIntervalSince1970: 5),
                                                            answered: Date(timeIntervalSince1970: 18)))

    // MARK: JUnit

    /// Whether `xml` is well-formed: `XMLParser` reports what `XMLDocument` on Linux recovers
    /// from in silence (a stray `<`, a control character).
    static func isWellFormed(_ xml: String) -> Bool {
        let parser = XMLParser(data: Data(xml.utf8))
        return parser.parse() && parser.parserError == nil
    }

    @Test func junitParsesWithTheRightCounts() throws {
        let xml = JUnitReport.xml(Self.run)
        #expect(Self.isWellFormed(xml))
        let document = try XMLDocument(xmlString: xml, options: [])
        let suite = try #require(document.rootElement()?.elements(forName: "testsuite").first)
        #expect(document.rootElement()?.name == "testsuites")
        #expect(suite.attribute(forName: "name")?.stringValue == "harness")
        #expect(suite.attribute(forName: "tests")?.stringValue == "4")
        #expect(suite.attribute(forName: "failures")?.stringValue == "1")
        #expect(suite.attribute(forName: "skipped")?.stringValue == "1")
        #expect(suite.attribute(forName: "time")?.stringValue == "400.000")
        let cases = suite.elements(forName: "testcase")
        #expect(cases.compactMap { $0.attribute(forName: "name")?.stringValue }
            == ["upgrade-rollback", "ext.kola-like.read-only-usr", "power-cut-during-deploy", "rebase-remote"])
        #expect(cases.compactMap { $0.attribute(forName: "classname")?.stringValue } == ["scenario", "ext", "scenario", "scenario"])
        #expect(cases[1].attribute(forName: "time")?.stringValue == "45.250")
    }

    @Test func junitFailureHasTheFirstLineAsMessageAndTheConsoleInItsText() throws {
        let document = try XMLDocument(xmlString: JUnitReport.xml(Self.run), options: [])
        let failures = try document.nodes(forXPath: "//failure").compactMap { $0 as? XMLElement }
        #expect(failures.count == 1)
        let failure = try #require(failures.first)
        #expect(failure.attribute(forName: "message")?.stringValue == #"touch /usr/x succeeded: <expected> EROFS & "read-only""#)
        let text = try #require(failure.stringValue)
        #expect(text.hasPrefix(Self.failure + "\n\nConsole:\n[    5.1] Kernel panic - not syncing: <VFS>\n"))
        #expect(try document.nodes(forXPath: "//skipped/@message").first?.stringValue == "denylisted: needs a virtual TPM")
    }

    @Test func junitEscapesMarkupAndDropsControlCharacters() {
        let xml = JUnitReport.xml(Self.run)
        #expect(!xml.contains("<expected>"))
        #expect(!xml.contains("<VFS>"))
        #expect(xml.contains("&lt;expected&gt; EROFS &amp; &quot;read-only&quot;"))
        #expect(!xml.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" })
        #expect(ReportText.escaped("a<b & \"c\" 'd'\u{0}\u{1B}[1mbold\u{1B}[0m\te\r\nf")
            == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;bold\te\nf")
    }

    @Test func junitSystemOutListsStepsArtifactsAndReruns() throws {
        let document = try XMLDocument(xmlString: JUnitReport.xml(Self.run), options: [])
        let outputs = try document.nodes(forXPath: "//testcase/system-out").compactMap(\.stringValue)
        #expect(outputs.count == 4)
        #expect(outputs[0].contains("+40.0 s  30.0 s  ok  run: treectl upgrade"))
        #expect(outputs[0].contains("Artifacts: tests/upgrade-rollback/"))
        #expect(outputs[1].contains("+15.0 s  30.2 s  FAILED  run: touch /usr/x"))
        #expect(outputs[1].contains("Attempts: 2"))
        let flaky = try #require(document.nodes(forXPath: "//testcase[@name='rebase-remote']").first as? XMLElement)
        #expect(flaky.elements(forName: "failure").isEmpty)
        #expect(outputs[3].contains("Flaky: failed first, passed on attempt 2."))
    }

    // MARK: TAP

    @Test func multipliedRunsAreResultsOfTheirOwnWithAPassRate() throws {
        let runs = (1...4).map { iteration in
            TestResult(name: "power-cut-after-swap", iteration: iteration, kind: "scenario",
                       status: iteration == 3 ? .failed : .passed, startedAt: Date(), duration: 100,
                       failure: iteration == 3 ? "the bootloader would boot what does not exist" : nil,
                       artifactsDirectory: TestResult.artifactsDirectory(name: "power-cut-after-swap", iteration: iteration))
        }
        let run = RunResult(startedAt: Date(), duration: 400, image: "i", commit: "c", parallel: 1, tests: runs)
        #expect(run.passRates == [PassRate(name: "power-cut-after-swap", runs: 4, passed: 3)])
        #expect(run.passRates[0].summary == "3 of 4 passed (75.0%)")
        #expect(runs[2].artifactsDirectory == "power-cut-after-swap/3")
        let tap = TAPReport.text(run)
        #expect(tap.contains("not ok 3 - power-cut-after-swap\\#3"))
        #expect(tap.contains("# power-cut-after-swap: 3 of 4 passed (75.0%)"))
        let junit = JUnitReport.xml(run)
        #expect(Self.isWellFormed(junit))
        #expect(junit.contains(#"<testcase name="power-cut-after-swap#4""#))
        #expect(junit.contains(#"name="pass-rate power-cut-after-swap" value="3 of 4 passed (75.0%)""#))
        #expect(HTMLReport.html(run).contains("3 of 4 passed"))
    }

    @Test func tapHasThePlanAndOneTestPointPerTest() {
        let lines = TAPReport.text(Self.run).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(Array(lines.prefix(3)) == ["TAP version 13", "1..4", "ok 1 - upgrade-rollback"])
        #expect(lines.contains("ok 3 - power-cut-during-deploy # SKIP denylisted: needs a virtual TPM"))
        #expect(lines.contains("ok 4 - rebase-remote"))
        #expect(lines.filter { $0.hasPrefix("not ok") } == ["not ok 2 - ext.kola-like.read-only-usr"])
    }

    @Test func tapFailureCarriesAYAMLDiagnosticBlock() throws {
        let lines = TAPReport.text(Self.run).split(separator: "\n").map(String.init)
        let start = try #require(lines.firstIndex(of: "not ok 2 - ext.kola-like.read-only-usr"))
        #expect(Array(lines[(start + 1)...].prefix(9)) == [
            "  ---",
            #"  message: "touch /usr/x succeeded: <expected> EROFS & \"read-only\"""#,
            "  duration_s: 45.2",
            "  attempts: 2",
            #"  artifacts: "tests/ext.kola-like.read-only-usr/""#,
            "  console: |",
            "    [    5.1] Kernel panic - not syncing: <VFS>",
            "    [    5.2] ---[ end trace ]---",
            "  ...",
        ])
    }

    // MARK: HTML

    @Test func htmlShowsEveryTestAndTheEscapedFailure() {
        let html = HTMLReport.html(Self.run)
        for test in Self.run.tests {
            #expect(html.contains(test.name))
        }
        #expect(html.contains("&lt;expected&gt; EROFS &amp; &quot;read-only&quot;"))
        #expect(!html.contains("<expected>"))
        #expect(html.contains("Console at the failure</h3>\n<pre class=\"console\">[    5.1] Kernel panic - not syncing: &lt;VFS&gt;"))
        #expect(html.contains(#"<td class="status flaky">flaky</td>"#))
        #expect(!html.contains("<script"))
    }

    @Test func htmlLinksToArtifactsRelatively() {
        let html = HTMLReport.html(Self.run)
        for file in ["", "console.txt", "journal.txt", "transcript.txt"] {
            #expect(html.contains(#"href="tests/upgrade-rollback/\#(file)""#))
        }
        #expect(!html.contains(#"href="tests/power-cut-during-deploy/"#))
        #expect(HTMLReport.href("odd dir:1/a&b#c") == "odd%20dir%3A1/a&amp;b%23c")
    }

    @Test func htmlShowsTheBootShareAndATimeline() {
        let html = HTMLReport.html(Self.run)
        // upgrade-rollback: 20 s booting and 10 s rebooting out of 120 s.
        #expect(html.contains("30.0 s (25%)"))
        // rebase-remote: 30 s powering on out of 90 s.
        #expect(html.contains("30.0 s (33%)"))
        #expect(html.contains(#"<div class="bar passed" style="left:33.333%;width:25.000%" title="run: treectl upgrade: +40.0 s, 30.0 s"></div>"#))
        #expect(html.contains(#"<div class="bar reboot" style="left:58.333%;width:8.333%""#))
        #expect(html.contains(#"<div class="bar failed""#))
        #expect(html.contains(#"<div class="bar power-on""#))
        #expect(HTMLReport.axisTicks(120) == [0, 20, 40, 60, 80, 100, 120])
        // The boot's profile: on its bar and listed under the timeline.
        let summary = "firmware and boot loader 5.0 s, kernel 2.0 s, initramfs 6.0 s, userspace to qemu-guest-agent 4.0 s; ready 18.0 s after power-on"
        #expect(Self.profile.summary == summary)
        #expect(html.contains(#"title="boot: \#(summary): +0.0 s, 20.0 s""#))
        #expect(html.contains("<ul class=\"profiles\"><li>boot at +0.0 s: \(summary)</li></ul>"))
        #expect(JUnitReport.xml(Self.run).contains("boot: \(summary)"))
    }
}
