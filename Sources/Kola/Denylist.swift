import Foundation
import Glibc
import Yams

/// Test-name globs as kola matches them (Go's `filepath.Match`): `*` and `?` match within a
/// name, `[...]` is a class, `\` escapes; `*` does not cross `/`.
public enum TestNamePattern {
    /// Whether `name` matches the glob `pattern`. A malformed pattern matches what `fnmatch`
    /// makes of it (an unclosed `[` is literal) where kola would refuse it.
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, FNM_PATHNAME) == 0
    }
}

/// kola's `kola-denylist.yaml`: known-broken tests to skip, or whose failures only warn.
///
/// The file is a list of entries: `pattern` (a test-name glob), `tracker` (the issue),
/// `snooze` (`YYYY-MM-DD`), `warn` (bool), and `streams`/`arches`/`platforms` (lists that scope
/// the entry). As in kola, whether an entry applies is decided when the file is loaded:
/// - with a `snooze` date not yet reached, matching tests are skipped;
/// - with a `snooze` date passed, the entry no longer skips; with `warn: true`, failures warn;
/// - without `snooze`, `warn: true` runs matching tests and turns their failures into warnings,
///   otherwise matching tests are skipped.
///
/// `harness run` has no streams or platforms of kola's kind, so `streams`, `arches`,
/// `platforms` (and `osversion`, which kola dropped) are accepted and not acted on: such an
/// entry applies everywhere, and `notes` says so.
public struct Denylist: Sendable {
    /// One entry that skips tests or turns their failures into warnings.
    public struct Rule: Sendable, Equatable {
        /// The test-name glob.
        public var pattern: String
        /// The issue tracking the breakage, if given.
        public var tracker: String?
        /// The `snooze` date as written, if any: an entry that skips does so until then.
        public var snoozedUntil: String?
    }

    /// Entries whose matching tests are skipped, in file order.
    public let skipping: [Rule]
    /// Entries whose matching tests run, their failures counting only as warnings.
    public let warning: [Rule]
    /// What the run's log should say about the file: expired snoozes and what was not acted on.
    public let notes: [String]

    /// Reads a denylist; `today` decides which snoozes are over (a snooze ends at the start of
    /// its date, UTC, as in kola).
    /// - Throws: `KolaFileError` naming the file when it cannot be read, is not YAML, or has an
    ///   entry that is not a mapping, lacks `pattern`, or has a value of the wrong type or a bad date.
    public static func load(_ path: String, today: Date = Date()) throws -> Denylist {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KolaFileError(file: path, "cannot read: \(error.localizedDescription)")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw KolaFileError(file: path, "invalid YAML: \("\(error)".split(whereSeparator: \.isNewline).joined(separator: " "))")
        }
        guard let root else { return Denylist(skipping: [], warning: [], notes: []) }
        guard let entries = root.sequence else {
            throw KolaFileError(file: path, "a denylist must be a list of entries")
        }
        var skipping: [Rule] = [], warning: [Rule] = [], notes: [String] = []
        for (index, node) in entries.enumerated() {
            let entry = try Entry(node, number: index + 1, file: path)
            notes += entry.notes
            if entry.pattern == "skip-console-warnings" {
                notes.append("'skip-console-warnings' is a kola switch, not a test pattern; not acted on")
                continue
            }
            let rule = Rule(pattern: entry.pattern, tracker: entry.tracker, snoozedUntil: entry.snooze?.text)
            if let snooze = entry.snooze {
                if today > snooze.date {
                    notes.append("snooze for '\(entry.pattern)' expired on \(snooze.text)")
                    if entry.warn { warning.append(rule) }
                } else {
                    skipping.append(rule)
                }
            } else if entry.warn {
                warning.append(rule)
            } else {
                skipping.append(rule)
            }
        }
        return Denylist(skipping: skipping, warning: warning, notes: notes)
    }

    /// Why the test is skipped, or nil when no entry skips it: `denylisted: <tracker>`, or
    /// `denylisted (snoozed until 2026-09-01): <tracker>`; without a tracker, the pattern.
    public func reason(for testName: String) -> String? {
        guard let rule = skipping.first(where: { TestNamePattern.matches($0.pattern, testName) }) else {
            return nil
        }
        let snooze = rule.snoozedUntil.map { " (snoozed until \($0))" } ?? ""
        return "denylisted\(snooze): \(rule.tracker ?? "pattern '\(rule.pattern)'")"
    }

    /// Why a failure of the test counts only as a warning (`warn: true`), or nil when it counts.
    public func warning(for testName: String) -> String? {
        guard let rule = warning.first(where: { TestNamePattern.matches($0.pattern, testName) }) else {
            return nil
        }
        return "denylisted with warn: \(rule.tracker ?? "pattern '\(rule.pattern)'")"
    }
}

/// One denylist entry as written.
private struct Entry {
    var pattern: String
    var tracker: String?
    var snooze: (text: String, date: Date)?
    var warn = false
    var notes: [String] = []

    init(_ node: Node, number: Int, file: String) throws {
        func fail(_ message: String) -> KolaFileError {
            KolaFileError(file: file, "entry \(number): \(message)")
        }
        guard let mapping = node.mapping else { throw fail("must be a mapping") }
        func string(_ key: String) throws -> String? {
            guard let value = mapping[key] else { return nil }
            guard let scalar = value.scalar else { throw fail("'\(key)' must be a string") }
            return scalar.string
        }
        guard let pattern = try string("pattern"), !pattern.isEmpty else { throw fail("'pattern' is missing") }
        self.pattern = pattern
        tracker = try string("tracker").flatMap { $0.isEmpty ? nil : $0 }
        if let text = try string("snooze") {
            guard let date = Self.date(text) else { throw fail("'snooze' must be a date (YYYY-MM-DD), not '\(text)'") }
            snooze = (text, date)
        }
        if let value = mapping["warn"] {
            guard let scalar = value.scalar, let flag = Bool.construct(from: scalar) else {
                throw fail("'warn' must be a boolean")
            }
            warn = flag
        }
        for key in ["streams", "arches", "platforms", "osversion"] {
            guard let value = mapping[key] else { continue }
            guard let list = value.sequence, list.allSatisfy({ $0.scalar != nil }) else {
                throw fail("'\(key)' must be a list of strings")
            }
            notes.append("'\(pattern)': '\(key)' not acted on; the entry applies everywhere")
        }
        let known: Set = ["pattern", "tracker", "snooze", "warn", "streams", "arches", "platforms", "osversion"]
        for key in mapping.keys.compactMap(\.scalar?.string) where !known.contains(key) {
            notes.append("'\(pattern)': unknown key '\(key)' ignored, as kola does")
        }
    }

    /// Midnight UTC of a `YYYY-MM-DD` date, or nil when `text` is not one (Go's `2006-01-02`).
    private static func date(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.map(\.count) == [4, 2, 2], parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        // `date(from:)` rolls 2026-02-30 over to March; kola refuses it.
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
              calendar.component(.month, from: date) == month,
              calendar.component(.day, from: date) == day else { return nil }
        return date
    }
}
