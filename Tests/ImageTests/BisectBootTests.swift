import Foundation
import TestSupport
import Testing
import ToolSupport

extension DefaultImageBootTests {
    /// `harness bisect` end to end: a good and two bad composes of the default image with five
    /// packages of the fixture's own changed (one upgraded that needs one added, one removed,
    /// two upgraded), where one change breaks either the kola test `ext.bisect.flag` or the
    /// boot itself (a `%post` making emergency.target the default). Bisect must name it in at
    /// most four runs of the test, each on an image it composed from the package cache.
    @Suite struct BisectBootTests {
        /// The fixture treefile's directory: the treefile (the default image plus the
        /// `bisect` repository's packages) and `bisect.repo`, pointed at each version of the
        /// repository in turn before composing.
        final class Fixture: @unchecked Sendable {
            let scratch: TemporaryDirectory
            var treefile: String { scratch.path + "/treefile.yaml" }
            let state = DefaultImageBootTests.stateDirectory
            static let ref = "harness/x86_64/bisect-fixture"

            init() throws {
                scratch = try TemporaryDirectory(prefix: "bisect-test-", in: ProcessScratchDirectory.path())
                try """
                    include: \(TestPaths.packageRoot)/images/debian-bookworm/treefile.yaml
                    ref: \(Self.ref)
                    repos: [bisect]
                    packages: [bisect-alpha, bisect-epsilon, bisect-flag, bisect-fsetup]
                    """.write(toFile: treefile, atomically: true, encoding: .utf8)
            }

            /// One fixture package: `/usr/share/bisect/NAME` holds its version (the flag file
            /// what `flag` says), requiring `requires`; with `breaksBoot`, a `%post` that makes
            /// every boot of the tree stop in emergency mode.
            static func spec(_ name: String, _ version: String, requires: [String] = [], flag: String? = nil,
                             breaksBoot: Bool = false) -> (String, String) {
                let file = flag == nil ? name : "flag"
                let text = """
                    %global debug_package %{nil}
                    Name: bisect-\(name)
                    Version: \(version)
                    Release: 1
                    Summary: harness bisect fixture
                    License: MIT
                    BuildArch: noarch
                    \(requires.map { "Requires: bisect-\($0)" }.joined(separator: "\n"))
                    %description
                    A package of harness bisect's boot tests.
                    %install
                    mkdir -p %{buildroot}/usr/share/bisect
                    echo "\(flag ?? version)" > %{buildroot}/usr/share/bisect/\(file)
                    \(breaksBoot ? "%post -p /bin/sh\nmkdir -p /etc/systemd/system\nln -sf /usr/lib/systemd/system/emergency.target /etc/systemd/system/default.target" : "")
                    %files
                    /usr/share/bisect/\(file)
                    """
                return ("bisect-\(name)-\(version)", text)
            }

            /// `--good`'s packages: alpha 1 (which needs beta), beta, epsilon 1, flag 1 (good),
            /// fsetup 1.
            static let good = [spec("alpha", "1", requires: ["beta"]), spec("beta", "1"), spec("epsilon", "1"),
                               spec("flag", "1", flag: "good"), spec("fsetup", "1")]
            /// Five changes from `good`: alpha 2 (needs gamma, not beta), gamma added, beta
            /// removed, epsilon 2, and the culprit: flag 2 (the flag says broken) or fsetup 2
            /// (its `%post` breaks the boot).
            static func bad(culprit: String) -> [(String, String)] {
                [spec("alpha", "2", requires: ["gamma"]), spec("gamma", "1"), spec("epsilon", "2")]
                    + (culprit == "flag" ? [spec("flag", "2", flag: "broken"), spec("fsetup", "1")]
                                         : [spec("flag", "1", flag: "good"), spec("fsetup", "2", breaksBoot: true)])
            }

            /// Builds `specs` as the `bisect` repository and composes the treefile; the commit.
            func compose(_ name: String, _ specs: [(String, String)]) throws -> String {
                let repository = try FixtureRepository.build(specTexts: Dictionary(uniqueKeysWithValues: specs),
                                                             into: scratch.path + "/repo-" + name)
                _ = try repository.writeRepoFile(named: "bisect", in: scratch.path)
                let result = try Program.run([HarnessExecutable.path, "compose", "tree", "--state-dir", state, treefile])
                try #require(result.status == 0, "compose of \(name) failed: \(result.stderr.suffix(2000))")
                return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }

            /// `harness bisect` of `test` between the two commits; its result and report.
            func bisect(good: String, bad: String, test: String, kola: Bool = true) throws -> (ProgramResult, output: String) {
                let output = scratch.path + "/bisect-" + UUID().uuidString.prefix(8)
                let result = try Program.run([HarnessExecutable.path, "bisect", "--state-dir", state, "--good", good, "--bad", bad,
                                              "--treefile", treefile, "--output", output, "--json"]
                                             + (kola ? ["-E", TestPaths.packageRoot + "/Tests/Fixtures/bisect"] : []) + [test])
                return (result, output)
            }
        }

        struct Report: Decodable {
            struct Candidate: Decodable {
                var step: Int
                var label: String
                var passed: Bool
                var failure: String?
                var artifacts: String
            }
            var steps: [[String]]
            var candidates: [Candidate]
            var firstFailingStep: Int?
            var culprit: [String]
        }

        static let fixture = Result { try Fixture() }
        static let goodCommit = Result { try fixture.get().compose("good", Fixture.good) }

        /// Checks what a finished bisect said: the culprit, at most four runs, the evidence (a
        /// failing run of the culprit's step and a passing run of the step before), the log.
        func expectFound(_ culprit: String, result: ProgramResult, output: String) throws -> Report {
            try #require(result.status == 0, "bisect failed: \(result.stderr.suffix(3000))")
            let report = try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
            #expect(report.steps.flatMap { $0 }.count == 5, "\(report.steps)")
            #expect(report.culprit == [culprit], "\(report.culprit)")
            #expect(report.candidates.count <= 4, "\(report.candidates.map(\.label))")
            #expect(report.candidates.first?.label == "--bad" && report.candidates.first?.passed == false)
            let step = try #require(report.firstFailingStep)
            #expect(report.candidates.contains { $0.step == step && !$0.passed })
            #expect(report.candidates.contains { $0.step == step - 1 && $0.passed })
            let log = try String(contentsOfFile: output + "/bisect.log", encoding: .utf8)
            #expect(log.components(separatedBy: "\nrun ").count - 1 == report.candidates.count, "\(log)")
            #expect(log.contains("first failing: step \(step): \(culprit)"), "\(log)")
            #expect(result.stderr.contains("first fails with \(culprit)"))
            #expect(!result.stderr.contains("is not what composed --bad"), "the treefile is --bad's: its input hash matches")
            for candidate in report.candidates {
                #expect(FileManager.default.fileExists(atPath: candidate.artifacts + "/console.txt"), "\(candidate.label)")
            }
            return report
        }

        /// Composes `--bad` with `culprit` (flag or fsetup) at version 2 and bisects
        /// ext.bisect.flag: the culprit must be named, with `evidence` in the failing run's
        /// failure. The fixture and both commits.
        func bisectNames(_ culprit: String, evidence: String) throws -> (fixture: Fixture, good: String, bad: String) {
            let fixture = try Self.fixture.get()
            let good = try Self.goodCommit.get()
            let bad = try fixture.compose("bad-" + culprit, Fixture.bad(culprit: culprit))
            let (result, output) = try fixture.bisect(good: good, bad: bad, test: "ext.bisect.flag")
            let report = try expectFound("bisect-\(culprit) 1-1 → 2-1", result: result, output: output)
            let failing = try #require(report.candidates.first { $0.step == report.firstFailingStep })
            #expect(failing.failure?.contains(evidence) == true, "\(failing.failure ?? "")")
            return (fixture, good, bad)
        }

        /// bisect-flag 2 only fails the kola test: named, with the test's own complaint as the
        /// evidence. Then the same bad commit with a test that passes on it: nothing to find.
        @Test func aPackageThatFailsAKolaTestIsNamed() throws {
            let (fixture, good, bad) = try bisectNames("flag", evidence: "says 'broken'")
            let (passing, output) = try fixture.bisect(good: good, bad: bad, test: "ext.harness.mounts", kola: false)
            #expect(passing.status != 0)
            let errors = passing.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
            #expect(errors.count == 1 && errors[0].contains("ext.harness.mounts passes on --bad") && errors[0].contains("nothing to find"),
                    "\(passing.stderr.suffix(2000))")
            #expect(try String(contentsOfFile: output + "/bisect.log", encoding: .utf8).contains("run 1: --bad"))
        }

        /// bisect-fsetup 2's `%post` makes the tree unbootable: the bad commit itself never
        /// boots, and bisect still names the change, the console's emergency shell as evidence.
        @Test func aPackageThatBreaksTheBootIsNamed() throws {
            _ = try bisectNames("fsetup", evidence: "emergency")
        }
    }
}
