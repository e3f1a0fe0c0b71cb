export * from './spec';
export {
  DEFAULT_ZEPPELIN_IMAGE, ZEPPELIN_VERSION, ZEPPELIN_SPARK_INTERPRETERS, ZEPPELIN_SPARK_VERSION_RANGE, INTERPRETER_TEMPLATE_FILE, zeppelinNames, type ZeppelinNames,
} from './layout';
export { renderZeppelin, zeppelinServerSelector } from './render';
export { validateZeppelin } from './validate';
export { ZEPPELIN_INTERPRETER_LABEL } from './interpreter-template';
