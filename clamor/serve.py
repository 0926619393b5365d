"""Start Streamlit on app.py with app.py's `st.navigation` in charge of the page list.

Streamlit still carries its first multipage mechanism: when a `pages/` folder sits next to
the main script, a process whose first visitor asks for a sub-page directly (a bookmarked
/sources after a restart) runs that page alone, with an automatic page list and without
app.py. Clamor's pages rely on app.py, so before the server starts we tell Streamlit this
app uses `st.navigation` (the flag `st.navigation` itself sets on its first call).
"""

import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

if __name__ == "__main__":
    PagesManager.uses_pages_directory = False
    sys.exit(cli.main())
