"""Knowledge base: for managers. The questions customers ask that no entry answers yet (the
gaps), the entries per topic and language with an editor, import from Markdown or CSV, and
every change with who made it. Agents see the entries as suggested answers in the case panel
(clamor/knowledge.py)."""

import tempfile
from pathlib import Path

import streamlit as st

from clamor import auth, knowledge, ui

rt = ui.get_runtime()
me = ui.require("knowledge")
ui.page_style()
store, config = rt.store, rt.config
NEW = ("", "")  # the editor's choice for an entry that does not exist yet

st.title("Knowledge base")
current = knowledge.entries(store)
index = knowledge.index(store)
by_key = {(e.topic, e.lang): e for e in current}
topics = sorted({e.topic for e in current})
st.caption(f"{len(topics)} topics · {len(current)} entries in "
           f"{', '.join(ui.language_name(lang) for lang in index.languages()) or 'no language'}"
           " · agents see the best three for a case as suggested answers")

gaps_tab, entries_tab, import_tab, changes_tab = st.tabs(
    ["Gaps", "Entries", "Import", "Changes"])

with gaps_tab:
    days = st.segmented_control("Questions of the last", [1, 7, 30], default=7,
                                format_func=lambda d: f"{d} day{'s' if d > 1 else ''}",
                                key="kb_gap_days") or 7
    gaps = knowledge.gaps(store, index, days=days)
    st.text(f"{len(gaps)} customer question{'s' if len(gaps) != 1 else ''} of the last "
            f"{days} day{'s' if days > 1 else ''} that no entry answers"
            + (" (the newest 2,000 questions looked at)" if len(gaps) >= 2000 else ""))
    if not gaps.empty:
        gaps["lang"] = gaps["lang"].map(ui.language_name)
        # Cells are text, never Markdown: the customers' words are shown as written.
        st.dataframe(gaps[["created_at", "lang", "author", "text", "best_score"]],
                     hide_index=True, width="stretch",
                     column_config={"created_at": ui.utc_column("When (UTC)"),
                                    "lang": "Language", "author": "Customer",
                                    "text": st.column_config.TextColumn("Question",
                                                                        width="large"),
                                    "best_score": st.column_config.NumberColumn(
                                        "Best match", format="%.1f",
                                        help=f"Entries below {knowledge.MIN_SCORE} are not "
                                             "suggested")})

with entries_tab:
    browse, editor = st.columns([3, 2], gap="large")
    with browse:
        lang = st.selectbox("Language", ["all", *knowledge.LANGUAGES], key="kb_lang",
                            format_func=lambda c: "All languages" if c == "all"
                            else ui.language_name(c))
        shown = [e for e in current if lang in ("all", e.lang)]
        st.dataframe([{"topic": e.topic, "lang": e.lang, "question": e.question,
                       "team": e.team or "", "tags": ", ".join(e.tags)} for e in shown],
                     hide_index=True, width="stretch")
        missing = [(t, code) for t in topics for code in knowledge.LANGUAGES
                   if (t, code) not in by_key]
        if missing:
            st.text(f"Not written yet in every language: {len(missing)} (" + ", ".join(
                f"{t} {code}" for t, code in missing[:12]) + (" …" if len(missing) > 12
                                                                else "") + ")")
    with editor:
        st.subheader("Edit", anchor=False)
        choice = st.selectbox("Entry", [NEW, *sorted(by_key)], key="kb_editing",
                              format_func=lambda k: "A new entry" if k == NEW
                              else f"{k[0]} ({k[1]})")
        entry = by_key.get(choice)
        with st.form(f"kb-form-{choice[0]}-{choice[1]}"):
            topic = st.text_input("Topic", value=entry.topic if entry else "",
                                  disabled=entry is not None, placeholder="lost-bag")
            code = st.selectbox("Language", knowledge.LANGUAGES, format_func=ui.language_name,
                                index=knowledge.LANGUAGES.index(entry.lang) if entry else 0,
                                disabled=entry is not None)
            question = st.text_input("Question", value=entry.question if entry else "")
            answer = st.text_area("Answer", value=entry.answer if entry else "", height=160)
            tags = st.text_input("Tags (comma-separated)",
                                 value=", ".join(entry.tags) if entry else "")
            teams = ["", *(t.name for t in config.teams)]
            team = st.selectbox("Owned by", teams, format_func=lambda t: t or "no team",
                                index=teams.index(entry.team) if entry and entry.team in teams
                                else 0)
            if st.form_submit_button("Save", type="primary"):
                new = knowledge.Entry(
                    (topic if entry is None else entry.topic).strip(),
                    code if entry is None else entry.lang, question.strip(), answer.strip(),
                    tuple(t.strip() for t in tags.split(",") if t.strip()), team or None)
                try:
                    knowledge.save(store, [new], actor=me.name, by=me.name)
                except (knowledge.KnowledgeError, auth.NotPermitted) as exc:
                    st.error(ui.sentence(exc))
                else:
                    st.toast(f"Saved {new.topic} ({new.lang}).")
                    st.rerun()
        if entry is not None and st.button("Delete this entry", key="kb_delete"):
            try:
                knowledge.delete(store, entry.topic, entry.lang, by=me.name)
            except (knowledge.KnowledgeError, auth.NotPermitted) as exc:
                st.error(ui.sentence(exc))
            else:
                st.rerun()

with import_tab:
    st.text("A Markdown file (a '# topic' line, then 'tags:' and 'team:', then one "
            "'## LANG: question' heading per language with its answer below) or a CSV file "
            "with the columns topic, lang, question, answer and optionally tags, team. "
            "Entries already there are updated; the rest stay as they are.")
    uploaded = st.file_uploader("Knowledge base file", type=["md", "markdown", "csv"],
                                key="kb_file")
    if uploaded is not None and st.button("Import", key="kb_import"):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / (Path(uploaded.name).name or "knowledge.md")
            path.write_bytes(uploaded.getvalue())
            try:
                found, problems = knowledge.read_file(path)
                added, changed = knowledge.save(store, found, actor=me.name, by=me.name)
            except (knowledge.KnowledgeError, auth.NotPermitted) as exc:
                st.error(ui.sentence(exc))
            else:
                st.success(f"{added} entries added, {changed} changed, "
                           f"{len(found) - added - changed} unchanged.")
                if problems:
                    st.warning(f"{len(problems)} skipped:")
                    for problem in problems:
                        st.text(problem)

with changes_tab:
    st.dataframe(knowledge.history(store), hide_index=True, width="stretch")
