import FieldSyncProtocol
import Testing

@Suite("FieldPath: naming a field, a list item or an item member")
struct FieldPathTests {
    typealias F = Fixtures

    let fields: [String: JSONValue] = [
        "childViews": "Sam wants more time with his sister.",
        "actions": F.list(
            F.item(F.id1, ["title": "Book dentist", "status": "open"]),
            F.item(F.id2, ["title": "School visit"])),
    ]

    @Test(arguments: ["childViews", "actions[\(F.id1)]", "actions[\(F.id1)].status", "actions[\(F.id1.lowercased())].due_2"])
    func parsesAndPrintsBack(_ text: String) throws {
        let path = try #require(FieldPath(text))
        #expect(path.description == text)
        #expect(FieldPath(path.description) == path)
    }

    @Test func partsOfAPath() throws {
        let field = try #require(FieldPath("childViews"))
        #expect(field.field == "childViews" && field.item == nil && field.member == nil)
        let member = try #require(FieldPath("actions[\(F.id1)].status"))
        #expect(member.field == "actions" && member.item == F.id1 && member.member == "status")
        #expect(member == FieldPath.item(F.id1, of: "actions", member: "status"))
        #expect(field == FieldPath.field("childViews"))
    }

    @Test(arguments: [
        "", "actions[", "actions[]", "actions[not-a-uuid]", "actions[\(F.id1)", "actions[\(F.id1)]x",
        "actions[\(F.id1)].", "actions[\(F.id1)].a.b", "actions[\(F.id1)].a[\(F.id2)]", "[\(F.id1)]", "(record)",
        "a.b", "1field", "child views",
    ])
    func refusesAnythingElse(_ text: String) {
        #expect(FieldPath(text) == nil)
    }

    @Test func itemIdsCompareCaseInsensitively() throws {
        let upper = try #require(FieldPath("actions[\(F.id1)].status"))
        let lower = try #require(FieldPath("actions[\(F.id1.lowercased())].status"))
        #expect(upper == lower)
        #expect(Set([upper, lower]).count == 1)
        #expect(lower.value(in: fields) == "open")
    }

    @Test func readsValues() throws {
        #expect(try #require(FieldPath("childViews")).value(in: fields) == "Sam wants more time with his sister.")
        #expect(try #require(FieldPath("actions[\(F.id2)]")).value(in: fields) == F.item(F.id2, ["title": "School visit"]))
        #expect(try #require(FieldPath("actions[\(F.id1)].title")).value(in: fields) == "Book dentist")
    }

    @Test func absentValuesReadAsNull() throws {
        #expect(try #require(FieldPath("observations")).value(in: fields) == .null)
        #expect(try #require(FieldPath("actions[\(F.id3)]")).value(in: fields) == .null)
        #expect(try #require(FieldPath("actions[\(F.id3)].title")).value(in: fields) == .null)
        #expect(try #require(FieldPath("actions[\(F.id2)].status")).value(in: fields) == .null)
        #expect(try #require(FieldPath("childViews[\(F.id1)]")).value(in: fields) == .null)
    }

    @Test func setsAWholeField() throws {
        let path = try #require(FieldPath("childViews"))
        #expect(path.setting("New", in: fields)["childViews"] == "New")
        // Unsetting keeps an explicit null, so the change is visible to a caller comparing fields.
        let cleared = path.setting(nil, in: fields)
        #expect(cleared["childViews"] == .some(.null))
        #expect(path.value(in: cleared) == .null)
    }

    @Test func nullRemovesAnItem() throws {
        let path = try #require(FieldPath("actions[\(F.id1.lowercased())]"))
        #expect(path.setting(nil, in: fields)["actions"] == F.list(F.item(F.id2, ["title": "School visit"])))
        let absent = try #require(FieldPath("actions[\(F.id3)]"))
        #expect(absent.setting(nil, in: fields) == fields)
    }

    @Test func anObjectReplacesAnItemInPlace() throws {
        let path = try #require(FieldPath("actions[\(F.id1)]"))
        let replacement = F.item(F.id1, ["title": "Book optician"])
        #expect(
            path.setting(replacement, in: fields)["actions"]
                == F.list(replacement, F.item(F.id2, ["title": "School visit"])))
    }

    @Test func anObjectReAddsARemovedItemAtTheEnd() throws {
        let path = try #require(FieldPath("actions[\(F.id3)]"))
        // The id is taken from the path.
        let updated = path.setting(["title": "Restored"], in: fields)
        #expect(F.ids(updated["actions"] ?? .null) == [F.id1, F.id2, F.id3].map { $0.lowercased() })
        #expect(path.value(in: updated) == F.item(F.id3, ["title": "Restored"]))
        // Into an unset list.
        #expect(path.setting(["title": "Restored"], in: [:])["actions"] == F.list(F.item(F.id3, ["title": "Restored"])))
    }

    @Test func aMemberIsSetOnItsItem() throws {
        let path = try #require(FieldPath("actions[\(F.id1)].status"))
        let updated = path.setting("done", in: fields)
        #expect(path.value(in: updated) == "done")
        #expect(try #require(FieldPath("actions[\(F.id1)].title")).value(in: updated) == "Book dentist")
        #expect(path.setting(nil, in: fields)["actions"]?.arrayValue?.first == F.item(F.id1, ["title": "Book dentist"]))
    }

    @Test func aMemberOfAnAbsentItemIsNotSet() throws {
        let path = try #require(FieldPath("actions[\(F.id3)].status"))
        #expect(path.setting("done", in: fields) == fields)
    }
}
