import Foundation

/// A package a test writes for itself, often a hostile one: shell lines that make its files
/// under `%{buildroot}`, its `%files` list and an optional `%post`. Built with rpmbuild by
/// `TestPackage.repository(_:in:)`.
public struct TestPackage: Sendable {
    public var name: String
    public var version: String
    /// Lines of `%install`, e.g. `ln -s /etc %{buildroot}/usr/share/x`.
    public var install: [String]
    /// Lines of `%files`.
    public var files: [String]
    /// The body of a `%post -p /bin/sh`, if any.
    public var post: String?
    public var requires: [String]

    public init(_ name: String, version: String = "1.0", install: [String] = [], files: [String] = [],
                post: String? = nil, requires: [String] = []) {
        self.name = name
        self.version = version
        self.install = install
        self.files = files
        self.post = post
        self.requires = requires
    }

    public var specText: String {
        var lines = [
            "%global debug_package %{nil}",
            "Name: \(name)", "Version: \(version)", "Release: 1", "Summary: \(name), a package made by a test",
            "License: MIT", "BuildArch: noarch",
        ]
        lines += requires.map { "Requires: \($0)" }
        lines += ["%description", "Made by a test.", "%install", "mkdir -p %{buildroot}"] + install
        if let post { lines += ["%post -p /bin/sh", post] }
        lines += ["%files"] + files
        return lines.joined(separator: "\n") + "\n"
    }

    /// Builds `packages` into an rpm-md repository at `directory` (created).
    public static func repository(_ packages: [TestPackage], in directory: String,
                                  payload: String = "w1.zstdio") throws -> FixtureRepository {
        try FixtureRepository.build(specTexts: Dictionary(uniqueKeysWithValues: packages.map { ($0.name, $0.specText) }),
                                    into: directory, payload: payload)
    }
}
