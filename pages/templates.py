"""Templates: for managers. Browse the reply library by language and category (the bundled
templates with the managers' edits laid over them), and edit, add or delete templates; each
change is recorded with who made it and the old text, and the wording is checked for tone and
length before it is saved."""

import streamlit as st

from clamor import actions, queries, template_editing, templates, ui

rt = ui.get_runtime()
ui.require("templates")
ui.page_style()
store, config = rt.store, rt.config
NEW = "new"  # the editor's choice for a template that does not exist yet
ALL = "all"  # every category

st.title("Reply templates")
edits = queries.template_edits(store)
library = template_editing.merged_library(edits)
by_id = {t.id: t for t in library.templates}
last_edit = {row.template_id: row for row in edits.itertuples()}
languages = list(dict.fromkeys([*config.watchlist.languages, *library.languages()]))

# A save chooses what the editor shows next; the selectbox's state can only be set before it
# is drawn, so the choice waits here for the rerun.
if "tpl_choose_next" in st.session_state:
    st.session_state["tpl_editing"] = st.session_state.pop("tpl_choose_next")
if st.session_state.get("tpl_editing", NEW) not in (NEW, *by_id):
    st.session_state["tpl_editing"] = NEW  # deleted meanwhile


def choose(template_id: str) -> None:
    st.session_state["tpl_editing"] = template_id


filters = st.columns(2)
lang = filters[0].selectbox("Language", languages, format_func=ui.language_name,
                            key="tpl_lang")
category = filters[1].selectbox(
    "Category", [ALL, *templates.CATEGORIES], key="tpl_category",
    format_func=lambda c: "All categories" if c == ALL else templates.CATEGORY_NAMES[c])
browse, editor = st.columns([3, 2], gap="large")

with browse:
    shown = [t for t in library.templates
             if t.lang == lang and category in (ALL, t.category)]
    order = {c: i for i, c in enumerate(templates.CATEGORIES)}
    shown.sort(key=lambda t: order.get(t.category, len(order)))
    eta = template_editing.longest_eta(library, lang)
    st.caption(f"{len(shown)} template{'s' if len(shown) != 1 else ''} · lengths are "
               f"measured filled with the longest ETA ({len(eta)} characters) and "
               f"{len(template_editing.LONG_AUTHOR)}-character names")
    if not shown:
        st.info("No templates in this language and category yet: add one with the editor.")
    for t in shown:
        with st.container(border=True):
            head = st.container(horizontal=True, vertical_alignment="center")
            with head:
                st.badge(templates.CATEGORY_NAMES.get(t.category, t.category), color="blue")
                if t.id in last_edit:
                    st.badge("edited", color="orange")
                st.text(t.title)
                st.button("Edit", key=f"edit-{t.id}", on_click=choose, args=(t.id,))
            st.code(t.text, language=None, wrap_lines=True)
            filled = template_editing.longest_fill(t, library)
            variables = ", ".join(f"{{{v}}}" for v in t.variables) or "none"
            limits = ", ".join(f"{source} allows {limit}"
                               for source, limit in templates.LENGTH_LIMITS.items())
            st.text(f"{t.id} · variables {variables} · {len(filled)} characters filled "
                    f"({limits})")
            for source in templates.LENGTH_LIMITS:
                over = templates.over_limit(filled, source)
                if over:
                    st.warning(f"Too long for {source} by {over} characters once filled.")
            if t.id in last_edit:
                row = last_edit[t.id]
                st.text(f"Edited by {row.edited_by} at {ui.local_time(row.edited_at)}")


def stop_deleting() -> None:
    st.session_state.pop("tpl_deleting", None)


# Open while st.session_state["tpl_deleting"] names a template, so a rerun of the whole page
# keeps asking until the manager confirms, cancels or closes it.
@st.dialog("Delete this template?", on_dismiss=stop_deleting)
def confirm_delete(template: templates.Template) -> None:
    st.text(f"{template.title} ({template.id})")
    st.text("Agents will no longer be offered it. The audit log keeps its text, and saving "
            "a template with the same id brings it back.")
    name = st.session_state.get("agent_name") or ""  # the signed-in user
    buttons = st.container(horizontal=True)
    confirmed = buttons.button("Delete", type="primary", key="tpl-delete-confirm")
    if buttons.button("Cancel", key="tpl-delete-cancel"):
        stop_deleting()
        st.rerun()
    if confirmed:
        try:
            actions.edit_template(store, actor=name, template_id=template.id,
                                  lang=template.lang, category=template.category,
                                  title=template.title, text="", before_text=template.text)
        except actions.ActionRefused as exc:
            st.error(ui.sentence(exc))
            return
        stop_deleting()
        st.session_state["tpl_choose_next"] = NEW
        st.toast(f"Deleted {template.id}")
        st.rerun()


def show_warnings(found: list[tuple[str, str | None]]) -> None:
    for message, phrase in found:
        st.warning(message)
        if phrase:
            st.text(f"“{phrase}”")  # their words as plain text, never Markdown


def save(current: templates.Template | None, *, template_id: str, lang: str, category: str,
         title: str, text: str, name: str, found: list, despite: bool) -> None:
    if not name.strip():
        st.error("Write your name before saving: every change to a template is recorded "
                 "with who made it.")
        return
    if not text.strip():
        st.error("The text is empty: write the template, or delete it with Delete.")
        return
    if current is None and template_id in by_id:
        st.error(f"There is already a template {template_id}: choose it above to edit it, "
                 "or give the new one another id.")
        return
    if found and not despite:
        st.info("Not saved yet: change the wording, or tick “Save despite the warnings” "
                "and save again.")
        return
    try:
        actions.edit_template(store, actor=name, template_id=template_id, lang=lang,
                              category=category, title=title, text=text,
                              before_text=current.text if current else None)
    except actions.ActionRefused as exc:
        st.error(ui.sentence(exc))
        return
    st.session_state["tpl_choose_next"] = template_id
    st.toast(f"Saved {template_id}")
    st.rerun()


# The inbox's sticky side panel (ui.page_style): the editor stays in view beside a long list.
with editor, st.container(key="reply-panel"):
    st.subheader("Edit or add")
    chosen = st.selectbox(
        "Template", [NEW, *by_id], key="tpl_editing",
        format_func=lambda i: "New template" if i == NEW else
        f"{by_id[i].title} · {ui.language_name(by_id[i].lang)} · "
        f"{templates.CATEGORY_NAMES.get(by_id[i].category, by_id[i].category)}")
    current = by_id.get(chosen)
    # One form per template, so its fields start from that template's text.
    with st.form(f"tpl-form-{chosen}"):
        if current is None:
            # Keyed by the filters, so a new template starts in the language and category
            # being browsed.
            new_lang = st.selectbox("Language", languages, index=languages.index(lang),
                                    format_func=ui.language_name, key=f"tpl-new-lang-{lang}")
            new_category = st.selectbox(
                "Category", templates.CATEGORIES, format_func=templates.CATEGORY_NAMES.get,
                index=0 if category == ALL else templates.CATEGORIES.index(category),
                key=f"tpl-new-category-{category}")
            typed_id = st.text_input("Id", key="tpl-new-id",
                                     placeholder="automatic: language-category-custom-N")
        else:
            st.text(f"{current.id} · {ui.language_name(current.lang)} · "
                    f"{templates.CATEGORY_NAMES.get(current.category, current.category)}")
        title = st.text_input("Title", value=current.title if current else "",
                              key=f"tpl-title-{chosen}")
        text = st.text_area("Text", value=current.text if current else "", height=200,
                            key=f"tpl-text-{chosen}",
                            help="Variables: {author} customer handle, {agent} your first "
                                 "name, {eta} the promised time, {case} case reference. "
                                 "A time is promised with {eta} only.")
        name = st.session_state.get("agent_name") or ""  # the signed-in user
        st.caption(f"Saved as {name}: the change is recorded in the audit log.")
        despite = st.checkbox("Save despite the warnings", key=f"tpl-despite-{chosen}")
        buttons = st.container(horizontal=True)
        with buttons:
            check = st.form_submit_button("Check wording", key="tpl-check")
            saving = st.form_submit_button("Save", type="primary", key="tpl-save")
    if check or saving:
        lang_of = current.lang if current else new_lang
        found = template_editing.template_warnings(text, lang_of, library)
        show_warnings(found)
        if check and not found:
            st.success("No tone or length warnings.")
        if saving:
            if current is None:
                template_id = (typed_id.strip()
                               or template_editing.new_template_id(library, new_lang, new_category))
                save(None, template_id=template_id, lang=new_lang, category=new_category,
                     title=title, text=text, name=name, found=found, despite=despite)
            else:
                save(current, template_id=current.id, lang=current.lang,
                     category=current.category, title=title, text=text, name=name,
                     found=found, despite=despite)
    if current is not None:
        st.button("Delete…", key="tpl-delete",
                  on_click=lambda: st.session_state.update(tpl_deleting=current.id))
    deleting = by_id.get(st.session_state.get("tpl_deleting"))
    if deleting is not None:
        confirm_delete(deleting)
