import CLibRPM

/// A trigger a package carries (`%triggerin -- bash >= 5`, `%filetriggerin -- /usr/lib`):
/// a script that runs when another package, or files under a path, come or go.
public struct RPMTrigger: Sendable {
    public enum Event: Sendable, Equatable {
        /// `%triggerprein`, `%triggerin`, `%triggerun`, `%triggerpostun` (and their file forms).
        case beforeInstall, install, erase, afterErase
    }

    public var event: Event
    /// The triggering package's name, or for file triggers the path prefix.
    public var target: String
    /// rpm's comparison bits (`RPMSENSE_LESS`, `GREATER`, `EQUAL`) and the version they
    /// compare with; none for any version.
    public var senses: UInt32
    public var version: String
    public var script: Scriptlet
    /// File triggers run in descending priority (rpm's default is 1000000).
    public var priority: UInt32
}

extension RPMHeader {
    /// `%triggerprein`, `%triggerin`, `%triggerun`, `%triggerpostun`.
    public var packageTriggers: [RPMTrigger] {
        triggers(names: RPMTAG_TRIGGERNAME, versions: RPMTAG_TRIGGERVERSION, flags: RPMTAG_TRIGGERFLAGS,
                 indexes: RPMTAG_TRIGGERINDEX, scripts: RPMTAG_TRIGGERSCRIPTS, programs: RPMTAG_TRIGGERSCRIPTPROG,
                 priorities: nil, kind: .triggerin)
    }

    /// `%filetriggerin` and its kin: run once per package whose files match.
    public var fileTriggers: [RPMTrigger] {
        triggers(names: RPMTAG_FILETRIGGERNAME, versions: RPMTAG_FILETRIGGERVERSION, flags: RPMTAG_FILETRIGGERFLAGS,
                 indexes: RPMTAG_FILETRIGGERINDEX, scripts: RPMTAG_FILETRIGGERSCRIPTS,
                 programs: RPMTAG_FILETRIGGERSCRIPTPROG, priorities: RPMTAG_FILETRIGGERPRIORITIES, kind: .filetriggerin)
    }

    /// `%transfiletriggerin` and its kin: run once per transaction.
    public var transactionFileTriggers: [RPMTrigger] {
        triggers(names: RPMTAG_TRANSFILETRIGGERNAME, versions: RPMTAG_TRANSFILETRIGGERVERSION,
                 flags: RPMTAG_TRANSFILETRIGGERFLAGS, indexes: RPMTAG_TRANSFILETRIGGERINDEX,
                 scripts: RPMTAG_TRANSFILETRIGGERSCRIPTS, programs: RPMTAG_TRANSFILETRIGGERSCRIPTPROG,
                 priorities: RPMTAG_TRANSFILETRIGGERPRIORITIES, kind: .transfiletriggerin)
    }

    /// Whether this package is one `trigger` fires on: its name, and its version within the
    /// trigger's condition (librpm compares).
    public func fires(_ trigger: RPMTrigger) -> Bool {
        guard name == trigger.target else { return false }
        guard trigger.senses & UInt32(RPMSENSE_SENSEMASK) != 0 else { return true }
        let dependency = rpmdsSingle(tag(RPMTAG_REQUIRENAME), trigger.target, trigger.version,
                                     rpmsenseFlags(trigger.senses & UInt32(RPMSENSE_SENSEMASK)))
        defer { rpmdsFree(dependency) }
        return rpmdsNVRMatchesDep(handle, dependency, 1) != 0
    }

    private func triggers(names: rpmTag_e, versions: rpmTag_e, flags: rpmTag_e, indexes: rpmTag_e, scripts: rpmTag_e,
                          programs: rpmTag_e, priorities: rpmTag_e?, kind: ScriptletKind) -> [RPMTrigger] {
        let names = strings(names), versions = strings(versions), flags = numbers(flags), indexes = numbers(indexes)
        let scripts = strings(scripts), programs = strings(programs), priorities = priorities.map(numbers) ?? []
        return names.indices.compactMap { index in
            guard index < flags.count, index < indexes.count, Int(indexes[index]) < scripts.count else { return nil }
            let script = Int(indexes[index])
            let flag = flags[index]
            let event: RPMTrigger.Event
            if flag & RPMSENSE_TRIGGERIN.rawValue != 0 { event = .install }
            else if flag & RPMSENSE_TRIGGERUN.rawValue != 0 { event = .erase }
            else if flag & RPMSENSE_TRIGGERPOSTUN.rawValue != 0 { event = .afterErase }
            else if flag & RPMSENSE_TRIGGERPREIN.rawValue != 0 { event = .beforeInstall }
            else { return nil }
            let program = script < programs.count ? programs[script] : "/bin/sh"
            return RPMTrigger(event: event, target: names[index], senses: flag,
                              version: index < versions.count ? versions[index] : "",
                              script: Scriptlet(kind: kind, interpreter: [program], body: scripts[script]),
                              priority: script < priorities.count ? priorities[script] : 1_000_000)
        }
    }
}
