"""The Spark engine: the same stages, run as Spark jobs over partitions of the rows.

Importing this package needs no PySpark; `session.spark_session` is where PySpark (and Java) are
first required, with an error saying what to install when they are missing.
"""
