"""Folder restoration on distributed engines (optional extras).

* :mod:`kerasgen.pipelines.ray`: ``restore_folder_ray`` on Ray Data
  (``pip install "kerasgen[ray]"``).

Importing this package imports no engine; each module imports its own.
"""
