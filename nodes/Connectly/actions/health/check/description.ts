import type { INodeProperties } from 'n8n-workflow';
import { optionsField, timeoutOptions } from '../../../shared/descriptions';

export const description: INodeProperties[] = [optionsField('health', 'check', timeoutOptions)];
