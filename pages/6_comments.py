"""Comments per dimension, only from groups large enough, shuffled, searchable, always shown as plain text.

A comment is shown with `st.text` (never read as Markdown: no link, icon, emphasis or tag comes out of it) after
`plain` took out the controls that would reorder its letters.
"""

import streamlit as st

from pages.ui import dashboard as ui
from survey.user_text import as_markdown, plain

view = ui.page("comments", ":material/forum:")
if view is None or ui.no_data(view):
    st.stop()

dims = view.dimension_labels()
left, mid, right = st.columns([2, 2, 3])
dimension = left.selectbox(
    view.say("dimension"), [None, *dims], format_func=lambda d: view.say("all_dimensions") if d is None else dims[d], key="c_dim"
)
by = mid.selectbox(
    view.say("show_by"),
    [None, *view.groupable("c_by")],
    format_func=lambda a: view.say("no_grouping") if a is None else view.attribute_label(a),
    key="c_by",
)
search = right.text_input(view.say("search"), placeholder=view.say("search_hint"), max_chars=100, key="c_search").strip() or None

result = view.get("comments", dimension=dimension, by=by, search=search, seed=0)
data = result.data
st.caption(view.say("comments_how", k=view.campaign.comment_threshold))
ui.anonymity_note(result.anonymity, view.lang)
if data.empty:
    st.info(view.say("no_comments"))
    st.stop()
st.write(view.say("comment_count", n=len(data)))
for row in data.head(300).itertuples(index=False):
    with st.container(border=True):
        st.text(plain(row.text))
        st.caption(as_markdown(f"{dims.get(row.dimension, row.dimension)} · {view.group_labels().get(row.group, row.group)}"))
if len(data) > 300:
    st.caption(view.say("comments_more", n=len(data)))
