import CLibRPM
import Foundation

/// A package recorded in a tree's rpmdb.
public struct InstalledPackage: Sendable, Hashable, Comparable {
    public var name: String
    /// `[epoch:]version-release`.
    public var evr: String
    public var arch: String

    public init(name: String, evr: String, arch: String) {
        self.name = name
        self.evr = evr
        self.arch = arch
    }

    /// Parses `name-[epoch:]version-release.arch`; nil when it is not of that shape.
    public init?(nevra: some StringProtocol) {
        guard let dot = nevra.lastIndex(of: "."),
              let releaseDash = nevra[..<dot].lastIndex(of: "-"),
              let versionDash = nevra[..<releaseDash].lastIndex(of: "-") else { return nil }
        name = String(nevra[..<versionDash])
        evr = String(nevra[nevra.index(after: versionDash)..<dot])
        arch = String(nevra[nevra.index(after: dot)...])
    }

    /// `name-[epoch:]version-release.arch`.
    public var nevra: String { "\(name)-\(evr).\(arch)" }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.name, lhs.nevra) < (rhs.name, rhs.nevra) }
}

extension RPMDatabase {
    /// The packages recorded in the rpmdb of the tree at `root` (`root` + `/usr/share/rpm`),
    /// sorted by name; empty when the tree has no database.
    public static func installedPackages(root: String) throws -> [InstalledPackage] {
        try installedHeaders(root: root).map { InstalledPackage(name: $0.name, evr: $0.evr, arch: $0.arch) }.sorted()
    }

    /// The headers recorded in the rpmdb of the tree at `root` (files, provides, requires).
    public static func installedHeaders(root: String) throws -> [RPMHeader] {
        let dbDirectory = root + RPMLibrary.databasePath
        guard FileManager.default.fileExists(atPath: dbDirectory + "/rpmdb.sqlite") else { return [] }
        return try RPMLibrary.withLibrary {
            try withTransactionSet(database: dbDirectory) { ts in
                guard let iterator = rpmtsInitIterator(ts, rpmDbiTagVal(RPMDBI_PACKAGES.rawValue), nil, 0) else { return [] }
                defer { rpmdbFreeIterator(iterator) }
                var headers: [RPMHeader] = []
                while let header = rpmdbNextIterator(iterator) {
                    headers.append(RPMHeader(adopting: headerLink(header)))
                }
                return headers
            }
        }
    }

    /// Drops the packages named `names` from the rpmdb of the tree at `root`, as
    /// `rpm --justdb -e` does: their files are left to the caller, no scriptlet runs.
    public static func erase(names: [String], root: String) throws {
        guard !names.isEmpty else { return }
        let dbDirectory = root + RPMLibrary.databasePath
        try RPMLibrary.withLibrary {
            try withTransactionSet(database: dbDirectory) { ts in
                for name in names {
                    guard let iterator = rpmtsInitIterator(ts, rpmDbiTagVal(RPMDBI_NAME.rawValue), name, 0) else {
                        throw RPMError(name, "package is not installed in \(root)")
                    }
                    defer { rpmdbFreeIterator(iterator) }
                    var found = false
                    while let header = rpmdbNextIterator(iterator) {
                        rpmtsAddEraseElement(ts, header, Int32(bitPattern: headerGetInstance(header)))
                        found = true
                    }
                    guard found else { throw RPMError(name, "package is not installed in \(root)") }
                }
                let flags = RPMTRANS_FLAG_JUSTDB.rawValue | RPMTRANS_FLAG_NOSCRIPTS.rawValue | RPMTRANS_FLAG_NOTRIGGERS.rawValue
                rpmtsSetFlags(ts, rpmtransFlags(flags))
                try runTransaction(ts, problemFilter: 0, database: dbDirectory)
                rpmtsCloseDB(ts)
            }
        }
        try checkpointSQLite(in: dbDirectory)
    }
}
