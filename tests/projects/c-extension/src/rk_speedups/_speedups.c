#include <Python.h>

static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, ""}, {NULL}};
static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups", "", -1, methods
};
PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&module); }
