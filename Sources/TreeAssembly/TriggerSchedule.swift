import RPM

/// One trigger script to run: whose it is, with which arguments and standard input.
public struct TriggerFiring: Sendable {
    /// The package carrying the trigger.
    public var owner: String
    /// The triggering package's name or the path prefix, for messages.
    public var target: String
    public var script: Scriptlet
    public var arguments: [String]
    /// File triggers read the matching paths, one per line.
    public var input: String?
}

/// Which triggers fire as packages are installed into a tree, in rpm's order (checked against
/// `rpm -i` of the same packages): for each package, in install order, first the file
/// triggers its files fire (`%filetriggerin` of the installed packages and its own, then its
/// own on the files already there; higher priorities first), then its `%post`, then the
/// `%triggerin`s it fires (the installed packages' on it, then its own on them); after every
/// `%posttrans`, the `%transfiletriggerin`s on the files the transaction brought. Installs only: the erase forms
/// (`%triggerun`, `%triggerpostun`, ...) have nothing to fire on in a compose or a layered
/// tree, where no package is erased by a script.
public struct TriggerSchedule {
    /// A package in the tree and the triggers it carries, read from its header once.
    private struct Owner {
        var header: RPMHeader
        var all: (package: [RPMTrigger], file: [RPMTrigger], transaction: [RPMTrigger])

        init(_ header: RPMHeader) {
            self.header = header
            all = (header.packageTriggers, header.fileTriggers, header.transactionFileTriggers)
        }

        var hasTriggers: Bool { !all.package.isEmpty || !all.file.isEmpty || !all.transaction.isEmpty }
        var packageTriggers: [RPMTrigger] { all.package.filter { $0.event == .install } }
        var fileTriggers: [RPMTrigger] { all.file.filter { $0.event == .install } }
        var transactionFileTriggers: [RPMTrigger] { all.transaction.filter { $0.event == .install } }
    }

    /// Packages in the tree with install triggers, in the order they came.
    private var owners: [Owner]
    /// Every package in the tree, in the order it came (those there before, then each installed).
    private var installed: [RPMHeader]
    /// Files the packages installed by this transaction brought, in install order.
    private var transactionFiles: [String] = []

    public init(installed: [RPMHeader]) {
        self.installed = installed
        owners = installed.map(Owner.init).filter(\.hasTriggers)
    }

    /// The file triggers `package`'s arrival fires, to run before its `%post`.
    public func beforePost(_ package: RPMHeader) -> [TriggerFiring] {
        let arriving = Owner(package)
        var firings: [(priority: UInt32, firing: TriggerFiring)] = []
        let candidates = owners.filter { !$0.fileTriggers.isEmpty } + (arriving.fileTriggers.isEmpty ? [] : [arriving])
        if !candidates.isEmpty {
            let files = package.files.map(\.path)
            for owner in candidates {
                for trigger in owner.fileTriggers {
                    let matching = files.filter { $0.hasPrefix(trigger.target) }
                    if !matching.isEmpty { firings.append((trigger.priority, Self.firing(owner.header, trigger, paths: matching))) }
                }
            }
        }
        if !arriving.fileTriggers.isEmpty {
            let existing = installed.flatMap { $0.files.map(\.path) }
            for trigger in arriving.fileTriggers {
                let matching = existing.filter { $0.hasPrefix(trigger.target) }
                if !matching.isEmpty { firings.append((trigger.priority, Self.firing(package, trigger, paths: matching))) }
            }
        }
        return Self.byPriority(firings)
    }

    /// The `%triggerin`s `package`'s arrival fires, to run after its `%post`; records it as
    /// installed.
    public mutating func afterPost(_ package: RPMHeader) -> [TriggerFiring] {
        let arriving = Owner(package)
        var firings: [TriggerFiring] = []
        for owner in owners {
            for trigger in owner.packageTriggers where package.fires(trigger) {
                firings.append(TriggerFiring(owner: owner.header.nevra, target: trigger.target, script: trigger.script,
                                             arguments: ["1", "1"], input: nil))
            }
        }
        for trigger in arriving.packageTriggers {
            for other in installed where other.fires(trigger) {
                firings.append(TriggerFiring(owner: package.nevra, target: trigger.target, script: trigger.script,
                                             arguments: ["1", "1"], input: nil))
            }
        }
        installed.append(package)
        if arriving.hasTriggers { owners.append(arriving) }
        transactionFiles += package.files.map(\.path)
        return firings
    }

    /// The `%transfiletriggerin`s of every package in the tree on the files this transaction
    /// brought, to run after every `%posttrans`: in the order their packages came, whatever
    /// their priorities (as rpm 4.18 runs them).
    public func atEnd() -> [TriggerFiring] {
        owners.flatMap { owner in
            owner.transactionFileTriggers.compactMap { trigger -> TriggerFiring? in
                let matching = transactionFiles.filter { $0.hasPrefix(trigger.target) }
                return matching.isEmpty ? nil : Self.firing(owner.header, trigger, paths: matching)
            }
        }
    }

    // MARK: Erasing

    /// The `%transfiletriggerun`s on the files of `packages`, erased by this transaction, to
    /// run before anything else of it.
    public func beforeErasing(_ packages: [RPMHeader]) -> [TriggerFiring] {
        let files = packages.flatMap { $0.files.map(\.path) }
        let erased = Set(packages.map(\.nevra))
        return owners.filter { !erased.contains($0.header.nevra) }.flatMap { owner in
            owner.all.transaction.compactMap { trigger -> TriggerFiring? in
                guard trigger.event == .erase else { return nil }
                let matching = files.filter { $0.hasPrefix(trigger.target) }
                return matching.isEmpty ? nil : Self.firing(owner.header, trigger, paths: matching)
            }
        }
    }

    /// Before `package`'s `%preun`: the other packages' `%filetriggerun`s on its files, then
    /// their `%triggerun`s on it (`$1 $2` 1 0: it is gone after).
    public func beforeErase(_ package: RPMHeader) -> [TriggerFiring] {
        let others = owners.filter { $0.header.nevra != package.nevra }
        return fileFirings(of: others, event: .erase, files: package.files.map(\.path))
            + others.flatMap { owner in
                owner.all.package.filter { $0.event == .erase && package.fires($0) }.map {
                    TriggerFiring(owner: owner.header.nevra, target: $0.target, script: $0.script, arguments: ["1", "0"], input: nil)
                }
            }
    }

    /// Once `package`'s files are gone, before its `%postun`: the `%filetriggerpostun`s on them.
    public func afterFilesErased(_ package: RPMHeader) -> [TriggerFiring] {
        fileFirings(of: owners.filter { $0.header.nevra != package.nevra }, event: .afterErase,
                    files: package.files.map(\.path))
    }

    /// After `package`'s `%postun`: the `%triggerpostun`s on it; records it as gone.
    public mutating func afterErase(_ package: RPMHeader) -> [TriggerFiring] {
        installed.removeAll { $0.nevra == package.nevra }
        owners.removeAll { $0.header.nevra == package.nevra }
        return owners.flatMap { owner in
            owner.all.package.filter { $0.event == .afterErase && package.fires($0) }.map {
                TriggerFiring(owner: owner.header.nevra, target: $0.target, script: $0.script, arguments: ["1", "0"], input: nil)
            }
        }
    }

    /// At the end of a transaction that erased `packages`: the `%transfiletriggerpostun`s on
    /// their files, with nothing on stdin (as rpm).
    public func afterErasing(_ packages: [RPMHeader]) -> [TriggerFiring] {
        let files = packages.flatMap { $0.files.map(\.path) }
        return owners.flatMap { owner in
            owner.all.transaction.compactMap { trigger -> TriggerFiring? in
                guard trigger.event == .afterErase, files.contains(where: { $0.hasPrefix(trigger.target) }) else { return nil }
                return TriggerFiring(owner: owner.header.nevra, target: trigger.target, script: trigger.script,
                                     arguments: ["0"], input: "")
            }
        }
    }

    /// File triggers of `event` among `owners` on `files`, higher priorities first.
    private func fileFirings(of owners: [Owner], event: RPMTrigger.Event, files: [String]) -> [TriggerFiring] {
        var firings: [(priority: UInt32, firing: TriggerFiring)] = []
        for owner in owners {
            for trigger in owner.all.file where trigger.event == event {
                let matching = files.filter { $0.hasPrefix(trigger.target) }
                if !matching.isEmpty { firings.append((trigger.priority, Self.firing(owner.header, trigger, paths: matching))) }
            }
        }
        return Self.byPriority(firings)
    }

    /// Whether erasing `packages` from `installed` runs any script: their own `%preun` or
    /// `%postun`, or a trigger.
    public static func anyEraseScript(installed: [RPMHeader], packages: [RPMHeader]) -> Bool {
        guard !packages.isEmpty else { return false }
        var schedule = TriggerSchedule(installed: installed)
        if !schedule.beforeErasing(packages).isEmpty || !schedule.afterErasing(packages).isEmpty { return true }
        for package in packages {
            if !package.scriptlets([.preun, .postun]).isEmpty || !schedule.beforeErase(package).isEmpty
                || !schedule.afterFilesErased(package).isEmpty || !schedule.afterErase(package).isEmpty {
                return true
            }
        }
        return false
    }

    /// Whether installing `packages` on `installed` fires any trigger at all.
    public static func anyFire(installed: [RPMHeader], packages: [RPMHeader]) -> Bool {
        var schedule = TriggerSchedule(installed: installed)
        for package in packages where !schedule.beforePost(package).isEmpty || !schedule.afterPost(package).isEmpty {
            return true
        }
        return !schedule.atEnd().isEmpty
    }

    /// rpm gives file triggers 0 as their argument, and the matching paths on stdin.
    private static func firing(_ owner: RPMHeader, _ trigger: RPMTrigger, paths: [String]) -> TriggerFiring {
        TriggerFiring(owner: owner.nevra, target: trigger.target, script: trigger.script, arguments: ["0"],
                      input: paths.joined(separator: "\n") + "\n")
    }

    /// Higher priorities first; equal ones in the order found.
    private static func byPriority(_ firings: [(priority: UInt32, firing: TriggerFiring)]) -> [TriggerFiring] {
        firings.enumerated().sorted { ($0.element.priority, -$0.offset) > ($1.element.priority, -$1.offset) }.map(\.element.firing)
    }
}
